//! Argument parsing and dispatch to the commands.

use crate::error::CliError;
use crate::files::read_any_public_key;
use crate::keys::ScopeArgs;
use crate::poster::PosterArgs;
use crate::trust::{TrustArgs, TrustPin};
use crate::venue::{Signing, VenueFields};
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use venuecode::Timestamp;

/// Signed venue codes (场所码): keys, trust lists, issuing, posters, scanning and verifying.
///
/// Exit codes: 0 success, 1 rejected (a code did not verify, a batch row or an image failed;
/// `check`: deny), 2 usage or I/O error, 3 (`check` only) manual check by staff.
#[derive(Debug, Parser)]
#[command(name = "venuecode", version)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
    /// Print the result as JSON (one object, or one line per item), in the shapes of SPEC.md
    /// §12: the same in every language.
    #[arg(long, global = true)]
    json: bool,
    /// The language of human output; by default the locale's (`LC_ALL`, `LC_MESSAGES`, `LANG`:
    /// zh_* is Chinese). JSON and error codes are the same in every language.
    #[arg(long, global = true, value_parser = ["zh", "en"])]
    lang: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Shell completions, on standard output (e.g. `venuecode completions bash >
    /// /etc/bash_completion.d/venuecode`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// The manual (roff): this command's page on standard output, or with --out a page per
    /// command (venuecode.1, venuecode-venue-issue.1, ...) in a folder.
    Man {
        /// The folder to write every page to (created if missing).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The main job on embedded defaults: keys, codes for three venues, attacks refused.
    Demo {
        /// Where to write the key, trust list and codes.
        #[arg(long, default_value = "venuecode-demo")]
        out: PathBuf,
        /// Then serve the demo's day: the records service with the demo's lists and records,
        /// a manager's and a district's login printed (Ctrl-C stops it).
        #[cfg(feature = "serve")]
        #[arg(long)]
        serve: bool,
        /// Where the demo's service listens.
        #[cfg(feature = "serve")]
        #[arg(long, default_value = "127.0.0.1:8080", requires = "serve")]
        listen: std::net::SocketAddr,
    },
    /// The records service (HTTP, JSON, the manager's page): check-ins in, lists out, a venue's
    /// desensitised records for its manager and its systems (SPEC.md §16). Stops on Ctrl-C or
    /// SIGTERM.
    #[cfg(feature = "serve")]
    Serve(Box<crate::serve::ServeArgs>),
    /// The service's accounts (authority, district, manager, gate, holder) and their tokens.
    #[cfg(feature = "serve")]
    Accounts(Box<crate::serve::AccountsArgs>),
    /// The service's webhooks: reports of a venue or division POSTed, signed, retried.
    #[cfg(feature = "serve")]
    Webhooks(Box<crate::serve::WebhooksArgs>),
    /// The end of use: destroys the service's personal records and their copies, the lists
    /// that name holders, and the secret files named, and says what it destroyed (run with
    /// the service stopped, on each node's folder).
    #[cfg(feature = "serve")]
    EndOfUse(Box<crate::serve::EndOfUseArgs>),
    /// Makes a new Ed25519 key (PKCS#8 PEM, file mode 0600), optionally trusting it.
    Keygen {
        /// Where to write the private key; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
        /// Also add the public key to this trust list (JSON, created if missing).
        #[arg(long, requires = "usage")]
        trust: Option<PathBuf>,
        /// What the key may sign.
        #[arg(long, requires = "trust", value_parser = crate::manual::usages())]
        usage: Option<String>,
        /// Its scope in the trust list.
        #[command(flatten)]
        scope: ScopeArgs,
    },
    /// Edits and signs trust lists.
    Trust {
        #[command(subcommand)]
        command: TrustCommand,
    },
    /// The root key that signs trust lists (kept offline; gates pin its key id).
    Root {
        #[command(subcommand)]
        command: RootCommand,
    },
    /// Issues and verifies venue codes.
    Venue {
        #[command(subcommand)]
        command: VenueCommand,
    },
    /// Makes the authority's secret key for holder tokens (64 hex digits, mode 0600).
    TokenKey {
        /// Where to write it; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Issues and verifies personal codes: offline (printed) and dynamic (on screen).
    Person {
        #[command(subcommand)]
        command: PersonCommand,
    },
    /// Decides at the door: verifies a personal code, resolves its status, applies a rule set.
    /// Exit 0 admit, 1 deny, 3 manual check, 2 usage error.
    Check(Box<crate::policy::CheckArgs>),
    /// Checks a personal code at a door (the door's venue code), decides, and records the scan.
    /// Exit 0 admit, 1 deny, 3 manual, 2 usage error or a decision that could not be recorded.
    Gate(Box<crate::records::GateArgs>),
    /// A visitor's own check-in (扫码打卡): the door's venue code and the visitor's current code,
    /// verified and decided here, stored as a record of origin self_scan. Exit as `gate`.
    CheckIn(Box<crate::entries::CheckInArgs>),
    /// Registers by hand (另行登记) a person without a code: name, ID and phone numbers masked
    /// and tokenised at once, with staff's decision. Exit 0 admit, 1 deny.
    Register(Box<crate::entries::RegisterArgs>),
    /// Records staff's final decision on a scan sent to them (manual). Exit 0 admit, 1 deny.
    Resolve(Box<crate::entries::ResolveArgs>),
    /// Derives a venue's pseudonym key from the authority's root, for every device of the venue
    /// (`records provision`), so a visitor is one visitor across its doors.
    VenueKey {
        /// The authority's root (64 hex digits, mode 0600; `venuecode token-key` makes one).
        #[arg(long)]
        root: PathBuf,
        /// The venue's registry number.
        #[arg(long)]
        venue_id: String,
        /// Where to write the venue's key (mode 0600); an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Trace-back for the authority (追溯排查): its tracing key, who a person met, who was at a
    /// venue, the index for SQL engines, the audit log every query is written to.
    Trace {
        #[command(subcommand)]
        command: crate::trace::TraceCommand,
    },
    /// A venue's scan records: daily statistics and masked details, export, merge, purge.
    Records(Box<crate::records::RecordsArgs>),
    /// Tests and signs colour-policy rule sets.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Status lists for offline codes.
    Status {
        #[command(subcommand)]
        command: StatusCommand,
    },
    /// Writes a revocation list: venue codes revoked, personal codes superseded below a generation.
    Revoke(Box<crate::lists::RevokeArgs>),
    /// Makes A4 posters: one, or a code and a poster for every row of a CSV form.
    Poster(Box<PosterArgs>),
    /// Decodes the QR codes in PNG or JPEG images; with --trust, verifies them as venue codes.
    Scan {
        /// Verify each code against this trust list (signed; see --root-kid).
        #[arg(long, conflicts_with = "raw")]
        trust: Option<PathBuf>,
        #[command(flatten)]
        pin: TrustPin,
        /// Only decode (the default without --trust).
        #[arg(long)]
        raw: bool,
        /// Verify as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
        /// The image files.
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum TrustCommand {
    /// Adds a key (a private PKCS#8 or public SPKI PEM) to a trust list, created if missing.
    Add {
        /// The trust list (JSON).
        #[arg(long)]
        trust: PathBuf,
        /// The key file.
        #[arg(long)]
        key: PathBuf,
        /// What the key may sign.
        #[arg(long, value_parser = crate::manual::usages())]
        usage: String,
        /// Its scope.
        #[command(flatten)]
        scope: ScopeArgs,
        /// Nothing it signed with an earlier issue time is trusted.
        #[arg(long)]
        not_before: Option<String>,
        /// Retired: nothing it signed from this RFC 3339 time on is trusted (what it signed
        /// before stays valid; to refuse that too, revoke it).
        #[arg(long)]
        not_after: Option<String>,
        /// A note for people reading the list.
        #[arg(long)]
        label: Option<String>,
    },
    /// Signs a trust list with a root key that it lists (usage root): what gates load.
    Sign(Box<crate::keys::TrustSignArgs>),
    /// Marks a key revoked: nothing it signed verifies any more.
    Revoke {
        /// The trust list.
        #[arg(long)]
        trust: PathBuf,
        /// The key id (16 hex digits).
        #[arg(long)]
        kid: String,
    },
}

#[derive(Debug, Subcommand)]
enum RootCommand {
    /// Makes a root key (mode 0600) and lists it with usage root in a trust list (JSON,
    /// created if missing); prints its key id, which gates pin with --root-kid.
    Keygen {
        /// Where to write the private key; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
        /// The trust list to list it in.
        #[arg(long)]
        trust: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum VenueCommand {
    /// Signs a venue code for one door and prints its text; optionally writes it as SVG/PNG.
    Issue(Box<IssueArgs>),
    /// Verifies a venue code's text offline against a trust list.
    Verify {
        #[command(flatten)]
        trust: TrustArgs,
        /// Verify as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
        /// A revocation list (from `revoke`): revoked codes are refused.
        #[arg(long)]
        revocations: Option<PathBuf>,
        /// The code's text, as a scanner reads it.
        text: String,
    },
}

#[derive(Debug, clap::Args)]
struct PersonVerifyArgs {
    #[command(flatten)]
    trust: TrustArgs,
    /// Verify as of this RFC 3339 time instead of now.
    #[arg(long)]
    at: Option<String>,
    /// With --id-number: check that the code was made for this ID number (holder matches).
    #[arg(long, requires = "id_number")]
    token_key: Option<PathBuf>,
    /// The ID number on the holder's card, to check against the code.
    #[arg(long, requires = "token_key")]
    id_number: Option<String>,
    /// The status list (offline codes) and the revocation list (superseded generations).
    #[command(flatten)]
    lists: crate::policy::ListArgs,
    /// The code's text.
    text: String,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Loads a rule set, which runs its own test cases and checks for conflicting rules.
    Test {
        /// The rule set (JSON).
        file: PathBuf,
    },
    /// Signs a rule set (the key's usage must be `policy`).
    Sign {
        /// The signing key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// Where to write the signed rule set; default standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The rule set (JSON).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum StatusCommand {
    /// Builds and signs a status list from a CSV of holders (id_number, colour, nat, nat_sampled;
    /// slot with --slots).
    Build(Box<crate::lists::StatusBuildArgs>),
    /// Writes the delta between two city lists (--slots), for gates that hold the first.
    Delta(Box<crate::lists::StatusDeltaArgs>),
    /// Rebuilds a new city list from the one held and a delta (verified when loaded).
    Apply(Box<crate::lists::StatusApplyArgs>),
}

#[derive(Debug, Subcommand)]
enum PersonCommand {
    /// Signs a personal code and prints its text. Only masked name and ID enter the code.
    Issue(Box<crate::person::IssueArgs>),
    /// Verifies a personal code offline; prints masked holder data and its status.
    Verify(Box<PersonVerifyArgs>),
}

#[derive(Debug, clap::Args)]
struct IssueArgs {
    #[command(flatten)]
    signing: Signing,
    #[command(flatten)]
    fields: VenueFields,
    #[command(flatten)]
    images: crate::venue::CodeImages,
}

/// Runs a command and gives its exit code.
pub(crate) fn run(args: Args) -> Result<u8, CliError> {
    crate::output::set_json(args.json);
    crate::output::set_lang(crate::output::Lang::choose(args.lang.as_deref()));
    match args.command {
        #[cfg(feature = "serve")]
        Command::Demo { out, serve, listen } => {
            let demo = crate::demo::run(&out)?;
            if serve {
                crate::serve::demo_serve(&out, listen, &demo)
            } else {
                Ok(crate::error::EXIT_OK)
            }
        }
        #[cfg(not(feature = "serve"))]
        Command::Demo { out } => crate::demo::run(&out).map(|_| crate::error::EXIT_OK),
        Command::Completions { shell } => crate::manual::completions(Args::command(), shell),
        Command::Man { out } => crate::manual::man(Args::command(), out.as_deref()),
        #[cfg(feature = "serve")]
        Command::Serve(a) => crate::serve::serve(&a),
        #[cfg(feature = "serve")]
        Command::Accounts(a) => crate::serve::accounts(&a),
        #[cfg(feature = "serve")]
        Command::Webhooks(a) => crate::serve::webhooks(&a),
        #[cfg(feature = "serve")]
        Command::EndOfUse(a) => crate::serve::end_of_use(&a),
        Command::Keygen {
            out,
            trust,
            usage,
            scope,
        } => crate::keys::keygen(&out, trust.as_deref(), usage.as_deref(), &scope),
        Command::Root {
            command: RootCommand::Keygen { out, trust },
        } => crate::keys::keygen(&out, Some(&trust), Some("root"), &ScopeArgs::default()),
        Command::Trust {
            command: TrustCommand::Sign(a),
        } => crate::keys::sign_trust(&a),
        Command::Trust {
            command:
                TrustCommand::Add {
                    trust,
                    key,
                    usage,
                    scope,
                    not_before,
                    not_after,
                    label,
                },
        } => {
            let mut entry = scope.entry(read_any_public_key(&key)?, usage.parse()?)?;
            entry.not_before = not_before
                .as_deref()
                .map(Timestamp::parse_rfc3339)
                .transpose()?;
            entry.not_after = not_after
                .as_deref()
                .map(Timestamp::parse_rfc3339)
                .transpose()?;
            entry.label = label;
            crate::keys::add_to_trust_list(&trust, entry)
        }
        Command::Trust {
            command: TrustCommand::Revoke { trust, kid },
        } => crate::keys::revoke(&trust, &kid),
        Command::Venue {
            command: VenueCommand::Issue(a),
        } => crate::venue::issue(&a.fields, &a.signing, &a.images),
        Command::Venue {
            command:
                VenueCommand::Verify {
                    trust,
                    at,
                    revocations,
                    text,
                },
        } => crate::venue::verify(
            &trust,
            at.as_deref(),
            crate::output::is_json(),
            revocations.as_deref(),
            &text,
        ),
        Command::Poster(a) => crate::poster::run(&a),
        Command::TokenKey { out } => crate::person::token_key(&out),
        Command::Person {
            command: PersonCommand::Issue(a),
        } => crate::person::issue(&a),
        Command::Person {
            command: PersonCommand::Verify(v),
        } => {
            let check = v.token_key.as_deref().zip(v.id_number.as_deref());
            crate::person::verify(
                &v.trust,
                v.at.as_deref(),
                crate::output::is_json(),
                check,
                &v.lists,
                &v.text,
            )
        }
        Command::Status {
            command: StatusCommand::Build(a),
        } => crate::lists::status_build(&a),
        Command::Status {
            command: StatusCommand::Delta(a),
        } => crate::lists::status_delta(&a),
        Command::Status {
            command: StatusCommand::Apply(a),
        } => crate::lists::status_apply(&a),
        Command::Revoke(a) => crate::lists::revoke(&a),
        Command::Check(a) => crate::policy::check(&a),
        Command::Gate(a) => crate::records::gate(&a),
        Command::Records(a) => crate::records::records(&a),
        Command::Trace { command } => crate::trace::run(&command),
        Command::CheckIn(a) => crate::entries::check_in(&a),
        Command::Register(a) => crate::entries::register_person(&a),
        Command::Resolve(a) => crate::entries::resolve_manual(&a),
        Command::VenueKey {
            root,
            venue_id,
            out,
        } => crate::entries::venue_key(&root, &venue_id, &out),
        Command::Policy {
            command: PolicyCommand::Test { file },
        } => crate::policy::test(&file),
        Command::Policy {
            command: PolicyCommand::Sign { key, out, file },
        } => crate::policy::sign(&key, &file, out.as_deref()),
        Command::Scan {
            trust,
            pin,
            raw: _,
            at,
            images,
        } => crate::scan::run(
            &images,
            trust.as_deref(),
            &pin,
            at.as_deref(),
            crate::output::is_json(),
        ),
    }
}
