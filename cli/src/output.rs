//! Standard output for every command. A closed pipe (`venuecode records … | head -1`) ends the
//! output quietly instead of panicking, and the command goes on to its end: `gate` still stores
//! its record. Text that comes from outside (decoded QR codes, ledger cells) is escaped for the
//! terminal with [`venuecode::text::for_terminal`] before it is shown.

use crate::error::CliError;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);
static JSON: AtomicBool = AtomicBool::new(false);

/// `--json`, for every command: results as JSON, the same in every language.
pub(crate) fn set_json(on: bool) {
    JSON.store(on, Ordering::Relaxed);
}

/// Whether results are printed as JSON.
pub(crate) fn is_json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// The language of human output. JSON and error codes are the same in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// 中文.
    Zh,
    /// English.
    En,
}

static ZH: AtomicBool = AtomicBool::new(false);

impl Lang {
    /// `--lang`, else the locale: the first of `LC_ALL`, `LC_MESSAGES` and `LANG` that is set and
    /// not empty, Chinese when it starts with `zh`.
    pub(crate) fn choose(flag: Option<&str>) -> Lang {
        let locale = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let tag = flag.map(str::to_owned).or_else(|| {
            locale("LC_ALL")
                .or_else(|| locale("LC_MESSAGES"))
                .or_else(|| locale("LANG"))
        });
        match tag {
            Some(t) if t.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }
}

/// Sets the language of human output, once at start.
pub(crate) fn set_lang(lang: Lang) {
    ZH.store(lang == Lang::Zh, Ordering::Relaxed);
}

/// The language of human output.
pub(crate) fn lang() -> Lang {
    if ZH.load(Ordering::Relaxed) {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// One of two texts, by the language of human output.
pub(crate) fn tr(zh: &'static str, en: &'static str) -> &'static str {
    match lang() {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// A decision as staff read it: the core's Chinese name, or its English word.
pub(crate) fn decision(o: venuecode::policy::Outcome) -> &'static str {
    use venuecode::policy::Outcome;
    match (lang(), o) {
        (Lang::Zh, o) => o.name_zh(),
        (Lang::En, Outcome::Admit) => "Admit",
        (Lang::En, Outcome::Deny) => "Deny",
        (Lang::En, Outcome::Manual) => "Manual",
    }
}

/// A colour as the reader's language names it: Chinese alone (绿码), or both names in English
/// output (绿码 green), as staff compare it with the phone's screen.
pub(crate) fn colour(c: venuecode::health::Colour) -> String {
    match lang() {
        Lang::Zh => c.name_zh().to_owned(),
        Lang::En => format!("{} {c}", c.name_zh()),
    }
}

/// A test result in the reader's language (阴性, or 阴性 negative).
pub(crate) fn nat(r: venuecode::health::NatResult) -> String {
    match lang() {
        Lang::Zh => r.name_zh().to_owned(),
        Lang::En => format!("{} {r}", r.name_zh()),
    }
}

/// How an entry was made (扫码打卡, or self_scan).
pub(crate) fn origin(o: venuecode::record::Origin) -> &'static str {
    match lang() {
        Lang::Zh => o.name_zh(),
        Lang::En => o.name(),
    }
}

/// A code's state: 有效, or its rejection's meaning with the stable code (已过期（expired）);
/// in English the code alone.
pub(crate) fn code_state(c: venuecode::CodeState) -> String {
    match (lang(), c) {
        (Lang::En, c) => c.name().to_owned(),
        (Lang::Zh, venuecode::CodeState::Valid) => "有效".to_owned(),
        (Lang::Zh, c) => format!("{}（{}）", crate::error::error_zh(c.name()), c.name()),
    }
}

/// A rule's reason as staff read it: the Chinese text, or both texts in English output.
pub(crate) fn reason(r: &venuecode::policy::Reason) -> String {
    match lang() {
        Lang::Zh => r.zh.clone(),
        Lang::En => format!("{} / {}", r.zh, r.en),
    }
}

/// The line that says a record was stored now or before (a retry stores nothing twice).
pub(crate) fn say_stored(id: venuecode::record::RecordId, added: bool) {
    let stored = if added {
        tr("已保存", "stored")
    } else {
        tr("此前已保存", "already stored")
    };
    say_in!("  记录 {id}（{stored}）", "  record {id} ({stored})");
}

/// A command's result: one line of JSON with `--json`, else what `human` prints.
pub(crate) fn report(value: &impl serde::Serialize, human: impl FnOnce()) -> Result<(), CliError> {
    if is_json() {
        json(value)
    } else {
        human();
        Ok(())
    }
}

/// Writes one line of human output to standard output; after a write fails (a closed pipe),
/// writes nothing more. With `--json` standard output carries JSON alone, so human lines are
/// left out.
pub(crate) fn line(args: std::fmt::Arguments<'_>) {
    if !is_json() {
        write_line(args);
    }
}

fn write_line(args: std::fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .is_err()
    {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Writes bytes to standard output as they are (a signed file sent to a pipe).
pub(crate) fn bytes(b: &[u8]) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out.write_all(b).and_then(|()| out.flush()).is_err() {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Writes a value as one line of JSON.
pub(crate) fn json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string(value).map_err(|e| CliError::Usage(e.to_string()))?;
    write_line(format_args!("{text}"));
    Ok(())
}

/// Text from outside, safe to show on a terminal.
pub(crate) fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    venuecode::text::for_terminal(text)
}

/// `println!` for commands: one line to standard output through [`line()`].
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// [`say!`] in the language of human output: the Chinese format first, then the English.
macro_rules! say_in {
    ($zh:literal, $en:literal $(, $arg:expr)* $(,)?) => {
        match $crate::output::lang() {
            $crate::output::Lang::Zh => $crate::output::line(format_args!($zh $(, $arg)*)),
            $crate::output::Lang::En => $crate::output::line(format_args!($en $(, $arg)*)),
        }
    };
}
pub(crate) use say_in;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_chooses_chinese_unless_the_flag_says_otherwise() {
        assert_eq!(Lang::choose(Some("zh")), Lang::Zh);
        assert_eq!(Lang::choose(Some("en")), Lang::En);
        assert_eq!(Lang::choose(Some("zh_CN.UTF-8")), Lang::Zh);
    }
}
