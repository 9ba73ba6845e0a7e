//! One line for an error and its causes, as the command line and the logs show it.

/// An error with its `source()` chain, joined by ": ". A cause whose text the message already
/// ends with (some errors repeat their source in their own text) is not repeated.
#[must_use]
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let cause = s.to_string();
        if !text.ends_with(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot reach the service: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open the input")]
    struct Names(#[source] std::io::Error);

    #[test]
    fn a_cause_is_shown_once() {
        let refused = || std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let cause = refused().to_string();
        assert_eq!(
            error_chain(&Repeats(refused())),
            format!("cannot reach the service: {cause}")
        );
        assert_eq!(
            error_chain(&Names(refused())),
            format!("cannot open the input: {cause}")
        );
    }
}
