//! A trace as a tree, flattened into rows: each parent above its children, siblings
//! ordered by start. A span whose parent is not in the store stands at the top level,
//! marked as an orphan.

use std::collections::{HashMap, HashSet};

use crate::span::{Span, SpanId};

/// One span's place in the drawn tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Index into the trace's spans.
    pub index: usize,
    /// `0` at the top level, one more per ancestor.
    pub depth: usize,
    /// At the top level because its parent is not in the store (or its parents form a
    /// cycle).
    pub orphan: bool,
    /// The last of its siblings.
    pub last: bool,
    /// For each level between the top and this row's parent (`depth - 1` entries): whether
    /// the ancestor at that level has siblings still to come (a guide line continues).
    pub guides: Vec<bool>,
}

/// The rows of `spans`, in drawing order.
pub fn rows(spans: &[Span]) -> Vec<Row> {
    let ids: HashMap<SpanId, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_id, i))
        .collect();
    let by_start = |list: &mut Vec<usize>| {
        list.sort_by_key(|&i| (spans[i].start_unix_nanos, spans[i].end_unix_nanos, i))
    };
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut tops = Vec::new();
    for (i, span) in spans.iter().enumerate() {
        match span.parent_span_id.and_then(|p| ids.get(&p)) {
            Some(&parent) if parent != i => children.entry(parent).or_default().push(i),
            _ => tops.push(i),
        }
    }
    children.values_mut().for_each(by_start);
    by_start(&mut tops);
    let mut out = Vec::with_capacity(spans.len());
    let mut seen = HashSet::new();
    walk(&tops, &children, &mut seen, &mut out, spans);
    // Spans whose parents form a cycle were not reached from the top: show them there.
    let mut unreached: Vec<usize> = (0..spans.len()).filter(|i| !seen.contains(i)).collect();
    by_start(&mut unreached);
    for i in unreached {
        if !seen.contains(&i) {
            walk(&[i], &children, &mut seen, &mut out, spans);
        }
    }
    out
}

fn walk(
    tops: &[usize],
    children: &HashMap<usize, Vec<usize>>,
    seen: &mut HashSet<usize>,
    out: &mut Vec<Row>,
    spans: &[Span],
) {
    let mut stack: Vec<Row> = tops
        .iter()
        .rev()
        .map(|&index| Row {
            index,
            depth: 0,
            orphan: spans[index].parent_span_id.is_some(),
            last: false,
            guides: Vec::new(),
        })
        .collect();
    while let Some(row) = stack.pop() {
        if !seen.insert(row.index) {
            continue;
        }
        let kids = children.get(&row.index).map_or(&[][..], |k| &k[..]);
        let mut guides = row.guides.clone();
        if row.depth > 0 {
            guides.push(!row.last);
        }
        for (n, &child) in kids.iter().enumerate().rev() {
            stack.push(Row {
                index: child,
                depth: row.depth + 1,
                orphan: false,
                last: n + 1 == kids.len(),
                guides: guides.clone(),
            });
        }
        out.push(row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, Scope};
    use std::sync::Arc;

    fn span(name: &str, parent: Option<&Span>, start: u64) -> Span {
        let mut s = Span::start(
            name,
            parent.map(|p| (p.trace_id, p.span_id)),
            Arc::new(Resource::default()),
            Arc::new(Scope::default()),
        );
        s.start_unix_nanos = start;
        s
    }

    fn drawn(spans: &[Span]) -> Vec<String> {
        rows(spans)
            .iter()
            .map(|r| {
                let guides: String = r
                    .guides
                    .iter()
                    .map(|&g| if g { "| " } else { "  " })
                    .collect();
                let branch = match (r.depth, r.last, r.orphan) {
                    (0, _, true) => "?-",
                    (0, _, false) => "",
                    (_, true, _) => "`-",
                    (_, false, _) => "|-",
                };
                format!("{guides}{branch}{}", spans[r.index].name)
            })
            .collect()
    }

    #[test]
    fn children_sit_under_parents_in_start_order() {
        let root = span("root", None, 0);
        let b = span("b", Some(&root), 20);
        let a = span("a", Some(&root), 10);
        let a1 = span("a1", Some(&a), 11);
        let b1 = span("b1", Some(&b), 21);
        let lost = span("lost", Some(&span("gone", None, 0)), 5);
        let spans = vec![b1, root, b, a1, lost, a];
        assert_eq!(
            drawn(&spans),
            ["root", "|-a", "| `-a1", "`-b", "  `-b1", "?-lost"]
        );
    }

    #[test]
    fn a_parent_cycle_is_still_drawn_once() {
        let mut x = span("x", None, 1);
        let mut y = span("y", Some(&x), 2);
        x.parent_span_id = Some(y.span_id);
        y.parent_span_id = Some(x.span_id);
        let rows = rows(&[x, y]);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].depth, rows[1].depth), (0, 1));
    }
}
