//! The closed vocabularies of `error.type` and `tool.type`: telemetry sends one of these
//! words or `other`, never the text a span or a caller put there. A free-text type can
//! carry anything (`db.acme.internal`, `AKIA…`, `PasswordIsHunter2Error`); a word from a
//! fixed list carries only which of the list it was.

/// Well-known exception class names, without module path: Python's builtins, JavaScript's,
/// Rust's common ones, and those of the HTTP and LLM client libraries agents use.
#[rustfmt::skip]
const ERROR_TYPES: &[&str] = &[
    // Python builtins
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException",
    "BaseExceptionGroup", "BlockingIOError", "BrokenPipeError", "BufferError",
    "ChildProcessError", "ConnectionAbortedError", "ConnectionError",
    "ConnectionRefusedError", "ConnectionResetError", "EOFError", "Exception",
    "ExceptionGroup", "FileExistsError", "FileNotFoundError", "FloatingPointError",
    "GeneratorExit", "IOError", "ImportError", "IndentationError", "IndexError",
    "InterruptedError", "IsADirectoryError", "KeyError", "KeyboardInterrupt", "LookupError",
    "MemoryError", "ModuleNotFoundError", "NameError", "NotADirectoryError",
    "NotImplementedError", "OSError", "OverflowError", "PermissionError",
    "ProcessLookupError", "RecursionError", "ReferenceError", "RuntimeError",
    "StopAsyncIteration", "StopIteration", "SyntaxError", "SystemError", "SystemExit",
    "TabError", "TimeoutError", "TypeError", "UnboundLocalError", "UnicodeDecodeError",
    "UnicodeEncodeError", "UnicodeError", "ValueError", "ZeroDivisionError",
    "CancelledError", "InvalidStateError", "IncompleteReadError", "JSONDecodeError",
    "CalledProcessError", "SubprocessError", "TimeoutExpired",
    // JavaScript builtins and runtimes
    "Error", "RangeError", "EvalError", "URIError", "AggregateError", "AbortError",
    "DOMException", "FetchError",
    // Rust
    "JoinError", "Elapsed", "ParseIntError", "ParseFloatError", "Utf8Error",
    "FromUtf8Error",
    // HTTP clients (requests, httpx, aiohttp, axios)
    "HTTPError", "HTTPStatusError", "RequestError", "RequestException", "ConnectTimeout",
    "ReadTimeout", "WriteTimeout", "PoolTimeout", "ConnectError", "ReadError",
    "RemoteProtocolError", "TimeoutException", "SSLError", "ProxyError",
    "ChunkedEncodingError", "TooManyRedirects", "ClientError", "ClientResponseError",
    "ClientConnectorError", "ServerDisconnectedError", "AxiosError",
    // LLM SDKs (openai, anthropic, google, litellm) and agent frameworks
    "APIError", "APIConnectionError", "APITimeoutError", "APIStatusError",
    "APIResponseValidationError", "AuthenticationError", "BadRequestError",
    "ConflictError", "InternalServerError", "NotFoundError", "PermissionDeniedError",
    "RateLimitError", "UnprocessableEntityError", "ServiceUnavailableError",
    "ContextWindowExceededError", "ContentPolicyViolationError", "LengthFinishReasonError",
    "ResourceExhausted", "DeadlineExceeded", "GoogleAPICallError", "ValidationError",
    "UnexpectedModelBehavior", "ModelHTTPError", "ModelRetry", "UsageLimitExceeded",
    "AgentRunError", "UserError", "OutputParserException", "ToolException",
    "GraphRecursionError", "APICallError", "NoSuchToolError", "InvalidToolArgumentsError",
    "NoObjectGeneratedError", "RetryError", "ZodError",
    // The tool's own kinds (a command's failure, a failed span without a type)
    "usage", "bad_input", "io", "failed", "error", "timeout",
];

/// The tool types of the OpenTelemetry GenAI conventions.
const TOOL_TYPES: &[&str] = &["function", "extension", "datastore"];

/// What every value outside a vocabulary becomes.
pub const OTHER: &str = "other";

/// The class name of `text` (module path dropped: `openai.RateLimitError` is
/// `RateLimitError`) when it is well known; a common HTTP error status (`404`, `503`) as
/// is;
/// `other` for anything else.
pub fn error_type(text: &str) -> &'static str {
    let text = text.trim();
    let class = text.rsplit(['.', ':']).next().unwrap_or(text);
    if let Some(known) = ERROR_TYPES.iter().find(|known| **known == class) {
        return known;
    }
    http_status(text).unwrap_or(OTHER)
}

/// HTTP errors, as `error.type` carries them in the OpenTelemetry conventions.
#[rustfmt::skip]
const HTTP_STATUSES: &[&str] = &[
    "400", "401", "402", "403", "404", "405", "408", "409", "410", "413", "415", "422", "424",
    "429", "500", "501", "502", "503", "504", "529",
];

fn http_status(text: &str) -> Option<&'static str> {
    HTTP_STATUSES.iter().find(|code| **code == text).copied()
}

/// The GenAI tool type of `text`, or `other`.
pub fn tool_type(text: &str) -> &'static str {
    let text = text.trim();
    TOOL_TYPES
        .iter()
        .find(|known| **known == text)
        .copied()
        .unwrap_or(OTHER)
}

/// Every word `error.type` may carry, `other` included (for tests and docs).
pub fn error_types() -> impl Iterator<Item = &'static str> {
    ERROR_TYPES
        .iter()
        .chain(HTTP_STATUSES)
        .copied()
        .chain([OTHER])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_in_disguise_become_other() {
        for hostile in [
            "db.acme.internal",
            "jane",
            "AKIAIOSFODNN7EXAMPLE",
            "PasswordIsHunter2Error",
            "/home/jane/agent.py",
            "timeout for customer 42",
            "acme.internal:5432",
            "",
        ] {
            assert_eq!(error_type(hostile), OTHER, "{hostile}");
        }
    }

    #[test]
    fn well_known_classes_keep_their_name_without_module_path() {
        assert_eq!(error_type("ValueError"), "ValueError");
        assert_eq!(error_type("openai.RateLimitError"), "RateLimitError");
        assert_eq!(error_type("httpx::ReadTimeout"), "ReadTimeout");
        assert_eq!(error_type("503"), "503");
        assert_eq!(error_type("5030"), OTHER);
        assert_eq!(error_type("200"), OTHER);
    }

    #[test]
    fn tool_types_are_the_genai_ones_or_other() {
        assert_eq!(tool_type("function"), "function");
        assert_eq!(tool_type("datastore"), "datastore");
        assert_eq!(tool_type("my tool"), OTHER);
        assert_eq!(tool_type("db.acme.internal"), OTHER);
    }
}
