//! The limits in `status`, each with the variable that sets it and its source, and the
//! files and directories in use.

use serde::Serialize;

use crate::config::keys::{
    ATTRIBUTE_VALUE_LENGTH_LIMIT, FLUSH_TIMEOUT, QUEUE_MAX_BYTES, QUEUE_MAX_SPANS, SPOOL_MAX_BYTES,
    STORE_MAX_AGE_DAYS, STORE_MAX_BYTES,
};
use crate::config::{Source, Sourced};

#[derive(Debug, Serialize)]
pub struct LimitReport {
    pub name: &'static str,
    /// The environment variable that sets it.
    pub var: &'static str,
    pub value: u64,
    pub source: Source,
}

#[derive(Debug, Serialize)]
pub struct FilesReport {
    pub env_file: Option<String>,
    pub config_file: String,
    pub config_file_exists: bool,
    pub config_dir: Sourced<String>,
    pub data_dir: String,
    pub data_dir_source: Source,
}

impl FilesReport {
    pub(super) fn new(paths: &crate::config::Paths) -> FilesReport {
        FilesReport {
            env_file: paths
                .env_file_exists
                .then(|| paths.env_file.display().to_string()),
            config_file: paths.config_file().display().to_string(),
            config_file_exists: paths.config_file().is_file(),
            config_dir: Sourced::new(
                paths.config_dir.value.display().to_string(),
                paths.config_dir.source.clone(),
            ),
            data_dir: paths.data_dir.value.display().to_string(),
            data_dir_source: paths.data_dir.source.clone(),
        }
    }
}

pub(super) fn limits(limits: &crate::config::Limits) -> Vec<LimitReport> {
    let limit = |name, var, v: &Sourced<u64>| LimitReport {
        name,
        var,
        value: v.value,
        source: v.source.clone(),
    };
    vec![
        limit("queue_max_spans", QUEUE_MAX_SPANS, &limits.queue_max_spans),
        limit("queue_max_bytes", QUEUE_MAX_BYTES, &limits.queue_max_bytes),
        limit(
            "flush_timeout_secs",
            FLUSH_TIMEOUT,
            &limits.flush_timeout_secs,
        ),
        limit("spool_max_bytes", SPOOL_MAX_BYTES, &limits.spool_max_bytes),
        limit("store_max_bytes", STORE_MAX_BYTES, &limits.store_max_bytes),
        limit(
            "store_max_age_days",
            STORE_MAX_AGE_DAYS,
            &limits.store_max_age_days,
        ),
        limit(
            "attribute_value_length_limit",
            ATTRIBUTE_VALUE_LENGTH_LIMIT,
            &limits.attribute_value_length_limit,
        ),
    ]
}
