//! A template turned around for reading: the literal text a line must start with, then slots
//! of one field (or of several fields run together) each followed by the literal text that
//! ends it.
//!
//! Two fields are run together ("glued") when the literal between them cannot separate them:
//! none at all (the `zpn_auth_log_1id` CSV defect, `%s(,){TrustedNetworksNames}%s(,){PosturesHit}`)
//! or only letters and digits (the KRB TSV defect, `%s{KRBRealm}t%s{KRBClientRealm}t...`),
//! which a value may itself contain. Such a slot is read as one piece of text and split
//! afterwards only when that is unambiguous (`matcher.rs`).

use super::fields::{self, Shape};
use super::template::{Field, Piece, Spec, Template, TimeModifier};
use crate::event::LogType;
use crate::event::log_type::key;

/// How padding added by a width is taken off a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trim {
    /// No width: the value is as written.
    None,
    /// Right-aligned (the default): spaces before the value.
    Start,
    /// Left-aligned (`-`): spaces after the value.
    End,
}

/// A field as the reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FieldRead {
    /// The JSON key it is written under.
    pub(super) key: Box<str>,
    /// `"key":`, as written before the value.
    pub(super) member: Box<[u8]>,
    /// The spec of its placeholder.
    pub(super) spec: Spec,
    /// The item separator of a list field.
    pub(super) list: Option<Box<[u8]>>,
    /// The time modifier, if any.
    pub(super) modifier: Option<TimeModifier>,
    /// What its values look like.
    pub(super) shape: Shape,
    /// Padding to take off.
    pub(super) trim: Trim,
    /// The earlier field with the same key, if the template writes the key twice.
    pub(super) repeat_of: Option<usize>,
    /// For a list, whether the template also has a `name:value` pairs field (whose items a
    /// list should not take).
    pub(super) pairs_nearby: bool,
    /// Its number in the template (1 for the first placeholder), for messages.
    pub(super) number: usize,
}

impl FieldRead {
    /// True when the field's text is decided by its own grammar (a number, a time, a JSON
    /// string): it never takes a separator that belongs to the line.
    pub(super) fn is_strict(&self) -> bool {
        if self.list.is_some() {
            return false;
        }
        self.spec.is_number() || self.spec == Spec::Json || self.modifier.is_some()
    }
}

/// A run of one or more fields between two pieces of literal text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Slot {
    /// Index of its first field in [`Pattern::fields`].
    pub(super) first: usize,
    /// How many fields it holds (more than one: glued fields).
    pub(super) count: usize,
    /// The literal between glued fields (empty, or letters and digits).
    pub(super) glue: Box<[u8]>,
    /// The literal that ends the slot (for the last slot, the end of the line).
    pub(super) after: Box<[u8]>,
    /// What counts as a separator inside its text: the template's common separator, else
    /// `after`.
    pub(super) cell_sep: Box<[u8]>,
    /// How many times its text normally holds `cell_sep` itself (1 for `ConnectionID` in CSV:
    /// `<SessionID>,<connection>`).
    pub(super) expected: usize,
}

impl Slot {
    /// True when the slot is one strict field.
    pub(super) fn is_strict(&self, fields: &[FieldRead]) -> bool {
        self.count == 1 && fields[self.first].is_strict()
    }
}

/// A template ready for reading lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    /// What the template is called in messages, e.g. `zpn_trans_log CSV`.
    pub(super) name: Box<str>,
    /// Literal text the line starts with.
    pub(super) lead: Box<[u8]>,
    /// The slots, in order; never empty.
    pub(super) slots: Box<[Slot]>,
    /// Every field, in order.
    pub(super) fields: Box<[FieldRead]>,
    /// The byte that separates most fields (`,` or a tab), if there is one.
    pub(super) separator: Option<u8>,
    /// How many times that byte occurs in the template's own literal text: a line holds at
    /// least this many, and every other one is inside a value.
    pub(super) separators_in_literals: usize,
    /// The log type its keys name.
    pub(super) log_type: LogType,
}

/// True when `literal` cannot tell two values apart: empty, or only letters and digits.
fn is_glue(literal: &[u8]) -> bool {
    literal.iter().all(u8::is_ascii_alphanumeric)
}

/// All the JSON keys of the vendor's templates (for [`fields::shape`]).
fn is_vendor_key(key: &str) -> bool {
    use std::sync::LazyLock;
    static KEYS: LazyLock<rustc_hash::FxHashSet<String>> = LazyLock::new(|| {
        let mut set = rustc_hash::FxHashSet::default();
        for (source, _) in super::vendor::SOURCES {
            for kind in [super::vendor::Kind::Csv, super::vendor::Kind::Tsv] {
                let Some(text) = super::vendor::text(source, kind) else {
                    continue;
                };
                if let Ok(t) = Template::parse(text) {
                    set.extend(t.fields().map(|f| fields::json_key(&f.name).to_owned()));
                }
            }
        }
        set
    });
    KEYS.contains(key)
}

impl Pattern {
    /// Turns `template` around for reading. With `ends_after`, the line ends right after that
    /// variable (an older, shorter template); `None` when the template has no such variable.
    pub(super) fn new(template: &Template, name: &str, ends_after: Option<&str>) -> Option<Self> {
        let mut lead: Vec<u8> = Vec::new();
        let mut fields: Vec<FieldRead> = Vec::new();
        // Literal text after each field (empty when two fields touch).
        let mut after: Vec<Vec<u8>> = Vec::new();
        for piece in template.pieces() {
            match piece {
                Piece::Text(t) if fields.is_empty() => lead.extend_from_slice(t),
                Piece::Text(t) => after
                    .last_mut()
                    .expect("a field came before")
                    .extend_from_slice(t),
                Piece::Field(f) => {
                    fields.push(read_field(f, fields.len() + 1, &fields));
                    after.push(Vec::new());
                    if ends_after.is_some_and(|last| *f.name == *last) {
                        break;
                    }
                }
            }
        }
        if let Some(last) = ends_after {
            if template.fields().all(|f| *f.name != *last) {
                return None;
            }
            // The line ends with the value itself.
            after.last_mut().expect("a field").clear();
        }
        let mut slots: Vec<Slot> = Vec::new();
        for (i, lit) in after.into_iter().enumerate() {
            match slots.last_mut() {
                // The literal before this field cannot end the previous slot: the field runs
                // on from it. Glued fields keep the first glue text; a different one later
                // makes the split fail, and the slot is read whole (`matcher.rs`).
                Some(prev) if is_glue(&prev.after) => {
                    let between = std::mem::take(&mut prev.after);
                    if prev.count == 1 {
                        prev.glue = between;
                    }
                    prev.count += 1;
                    prev.after = lit.into();
                }
                _ => slots.push(new_slot(i, lit)),
            }
        }
        if fields.iter().any(|f| f.shape == Shape::Pairs) {
            for f in fields.iter_mut().filter(|f| f.list.is_some()) {
                f.pairs_nearby = true;
            }
        }
        let separator = dominant_separator(&slots);
        for s in &mut slots {
            s.cell_sep = match separator {
                Some(sep) => Box::new([sep]),
                None => s.after.clone(),
            };
            s.expected = usize::from(
                s.count == 1
                    && fields[s.first].shape == Shape::ConnectionId
                    && s.cell_sep[..] == *b",",
            );
        }
        let separators_in_literals = separator.map_or(0, |sep| {
            let count = |t: &[u8]| t.iter().filter(|b| **b == sep).count();
            count(&lead)
                + slots
                    .iter()
                    .map(|s| count(&s.after) + count(&s.glue) * (s.count - 1))
                    .sum::<usize>()
        });
        let flags = fields
            .iter()
            .fold(0, |acc, f| acc | key::flag(f.key.as_bytes()));
        Some(Self {
            name: name.into(),
            lead: lead.into(),
            slots: slots.into(),
            fields: fields.into(),
            separator,
            separators_in_literals,
            log_type: LogType::detect(flags),
        })
    }
}

fn new_slot(i: usize, after: Vec<u8>) -> Slot {
    Slot {
        first: i,
        count: 1,
        glue: Box::default(),
        after: after.into(),
        cell_sep: Box::default(),
        expected: 0,
    }
}

/// The byte most slots' literals end with, when more than half of them do: `,` for CSV, a tab
/// for TSV (also after `%s{Domain} ` in the SMB template).
fn dominant_separator(slots: &[Slot]) -> Option<u8> {
    let mut counts = [0usize; 256];
    for s in slots {
        if let Some(&b) = s.after.last()
            && !b.is_ascii_alphanumeric()
        {
            counts[usize::from(b)] += 1;
        }
    }
    let (byte, n) = counts
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .expect("256 entries");
    (*n * 2 > slots.len()).then(|| u8::try_from(byte).expect("an index below 256"))
}

fn read_field(f: &Field, number: usize, earlier: &[FieldRead]) -> FieldRead {
    let key = fields::json_key(&f.name);
    let trim = match (f.width, f.flags.left) {
        (None, _) => Trim::None,
        (Some(_), false) => Trim::Start,
        (Some(_), true) => Trim::End,
    };
    FieldRead {
        key: key.into(),
        member: format!("\"{key}\":").into_bytes().into(),
        spec: f.spec,
        list: f.list.clone(),
        modifier: f.modifier,
        shape: fields::shape(key, is_vendor_key(key)),
        trim,
        repeat_of: earlier.iter().position(|e| *e.key == *key),
        pairs_nearby: false,
        number,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> Pattern {
        Pattern::new(&Template::parse(text).expect("parses"), "test", None).expect("a pattern")
    }

    #[test]
    fn csv_slots_end_with_their_comma() {
        let p = pattern(
            "%s{LogTimestamp:time} User Activity zpa-lss: ,%s{Customer},%s{ConnectionID},\
             %s{InternalReason},%d{IPProtocol}\\n",
        );
        assert_eq!(&*p.lead, b"");
        assert_eq!(p.slots.len(), 5);
        assert_eq!(&*p.slots[0].after, b" User Activity zpa-lss: ,");
        assert_eq!(&*p.slots[2].after, b",");
        assert_eq!(
            p.slots[2].expected, 1,
            "ConnectionID has a comma of its own"
        );
        assert_eq!(&*p.slots[4].after, b"");
        assert_eq!(p.separator, Some(b','));
        assert_eq!(p.separators_in_literals, 4);
        assert_eq!(p.log_type, LogType::UserActivity);
    }

    #[test]
    fn touching_fields_and_letter_separators_are_glued() {
        let p = pattern("A: ,%s(,){TrustedNetworksNames}%s(,){PosturesHit},%s{X}\\n");
        assert_eq!(p.slots.len(), 2);
        assert_eq!(p.slots[0].count, 2);
        assert_eq!(&*p.slots[0].glue, b"");
        let p =
            pattern("%s{Pre}\\t%s{KRBRealm}t%s{KRBClientRealm}t%s{KRBUserPrincipal}\\t%d{N}\\n");
        assert_eq!(p.slots.len(), 3);
        assert_eq!((p.slots[1].first, p.slots[1].count), (1, 3));
        assert_eq!(&*p.slots[1].glue, b"t");
        assert_eq!(&*p.slots[1].after, b"\t");
    }

    #[test]
    fn a_repeated_key_points_at_its_first_field() {
        let p = pattern("%s{ConnectionID},%s{UserID},%s{ConnectionID}\\n");
        assert_eq!(p.fields[2].repeat_of, Some(0));
        assert_eq!(p.fields[1].repeat_of, None);
    }

    #[test]
    fn a_shorter_template_ends_after_its_variable() {
        let t = Template::parse("%s{A},%s{Idp},%s{c2c},%s{Z}\\n").expect("parses");
        let p = Pattern::new(&t, "t", Some("c2c")).expect("has c2c");
        assert_eq!(p.fields.len(), 3);
        assert_eq!(&*p.slots[2].after, b"");
        assert!(Pattern::new(&t, "t", Some("Nope")).is_none());
    }

    #[test]
    fn renamed_variables_are_read_under_their_json_key() {
        let p = pattern("%s{c2c},%s{SiteController}\\n");
        assert_eq!(&*p.fields[0].key, "ClientToClient");
        assert_eq!(&*p.fields[1].key, "PrivateCloudController");
    }
}
