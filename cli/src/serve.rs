//! `serve` (the records service over a data folder), `accounts` (who may use it) and the demo's
//! `--serve`: translations of arguments into `venuecode_server`'s configuration.

use crate::error::{CliError, EXIT_OK};
use crate::files::{read_secret_text, read_text};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use venuecode::record::coverage::RegisteredVenue;
use venuecode::trace::{TraceKey, TracePublicKey};
use venuecode::{KeyId, Prefix, Timestamp};
use venuecode_server::{
    Account, ApiError, Config, Directory, Issuer, ListSet, Role, Service, Trace,
};

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        CliError::Usage(format!("{} ({})", e.message, e.code))
    }
}

/// `serve` options.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The service's folder: ledger, accounts, lists in force, the gate's state (created).
    #[arg(long)]
    data: PathBuf,
    /// Where to listen (port 0: any free one; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The signed trust list (required the first time; later, the one kept is in force).
    #[arg(long)]
    trust: Option<PathBuf>,
    /// A pinned root key id the trust list must be signed by; repeat for several.
    #[arg(
        long = "root-kid",
        env = "VENUECODE_ROOT_KID",
        value_delimiter = ',',
        required = true
    )]
    root_kids: Vec<KeyId>,
    /// The authority's public tracing key (64 hex digits, from `trace key`).
    #[arg(long, env = "VENUECODE_TRACE_PUB")]
    trace_pub: PathBuf,
    /// A signed status list to publish.
    #[arg(long)]
    status: Option<PathBuf>,
    /// A signed revocation list to publish.
    #[arg(long)]
    revocations: Option<PathBuf>,
    /// A signed rule set to decide with (else the built-in one).
    #[arg(long, conflicts_with = "builtin")]
    policy: Option<PathBuf>,
    /// A built-in rule set (default sh-2022-04-01).
    #[arg(long, value_parser = crate::manual::builtins())]
    builtin: Option<String>,
    /// The authority's root of venue pseudonym keys (as for `venue-key`), so that gates'
    /// records and the service's count a visitor once.
    #[arg(long)]
    venue_root: Option<PathBuf>,
    /// Keep the records and the accounts in this PostgreSQL database (libpq connection string
    /// or postgres:// URL) instead of DIR/ledger.sqlite and DIR/service.sqlite.
    #[arg(long, env = "VENUECODE_DATABASE")]
    database: Option<String>,
    /// Requests a second each token may make, on average.
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    /// The most connections one client address may hold at once (default 128); 0 for no cap
    /// (behind a reverse proxy, all of whose connections come from one address: let the proxy
    /// cap them).
    #[arg(long)]
    connections_per_address: Option<usize>,
    /// Check-ins a second one client address may send on average, with ten seconds' worth at
    /// once (default 20); 0 for no limit (behind a reverse proxy, or for a load test from one
    /// host).
    #[arg(long)]
    check_ins_per_address: Option<f64>,
    /// Deliver webhooks to loopback, private and link-local addresses too (a duty desk on
    /// the service's own network); without it such an address is never connected to.
    #[arg(long)]
    private_webhooks: bool,
    /// The service is reached over plain HTTP (a machine of one's own): its page's session
    /// cookie is then `vc_session` without `Secure`. Without it the cookie is
    /// `__Host-vc_session` with `Secure`, which browsers keep and send over HTTPS only (put
    /// the service behind a TLS proxy).
    #[arg(long)]
    plain_http: bool,
    /// CA certificates (PEM) that webhook receivers' certificates may chain to besides
    /// Mozilla's roots (a duty desk on a private CA).
    #[arg(long)]
    webhook_ca: Option<PathBuf>,
    /// The authority's tracing key (mode 0600): on the authority's own node only, to answer
    /// its accounts' trace queries (`POST /v1/trace/...`).
    #[arg(long)]
    trace_key: Option<PathBuf>,
    /// The holder-token key: with --trace-key, trace queries may name a person by ID number;
    /// with --issue-key, holders may add companions by name and ID number.
    #[arg(long)]
    token_key: Option<PathBuf>,
    /// The file this node keeps the audit log's head in (default DIR/trace-audit.head). The
    /// log itself is the store's, one for every node; keep its head on other storage than the
    /// database, so that the two cannot be cut back together.
    #[arg(long, requires = "trace_key", env = "VENUECODE_TRACE_AUDIT_HEAD")]
    trace_audit_head: Option<PathBuf>,
    /// The personal-code signing key (mode 0600), on a node that plays the health-code
    /// system's part: holder accounts then get their own current dynamic code (`GET
    /// /v1/holder/code`). Where 随申码 issues the codes, leave it out.
    #[arg(long, requires_all = ["issue_prefix", "token_key"])]
    issue_key: Option<PathBuf>,
    /// The URL prefix of the codes --issue-key signs (one the trust list names for it).
    #[arg(long, requires = "issue_key")]
    issue_prefix: Option<String>,
    /// Days of records kept (1 to 366): every minute the records of the days before are
    /// deleted, and a node with --trace-key writes each purge, and who read which venue's
    /// records, to the audit log.
    #[arg(long, default_value_t = venuecode_server::DEFAULT_RETAIN_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(venuecode_server::MAX_RETAIN_DAYS)))]
    retain_days: u32,
}

/// The keys of a node that traces.
fn trace_keys(key: &Path, token_key: Option<&Path>) -> Result<Trace, CliError> {
    Ok(Trace::new(
        TraceKey::from_hex(&read_secret_text(key)?)?,
        token_key.map(crate::lists::read_token_key).transpose()?,
    ))
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    crate::files::read_bytes(path)
}

fn read_opt(path: Option<&Path>) -> Result<Option<Vec<u8>>, CliError> {
    path.map(read).transpose()
}

fn venue_root(path: Option<&Path>) -> Result<Option<zeroize::Zeroizing<[u8; 32]>>, CliError> {
    let Some(path) = path else { return Ok(None) };
    let mut root = zeroize::Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(read_secret_text(path)?.trim(), root.as_mut())
        .map_err(|_| venuecode::Error::InvalidKey("a root key is 64 hex digits".into()))?;
    Ok(Some(root))
}

/// The access log on standard error.
pub(crate) fn serve(a: &ServeArgs) -> Result<u8, CliError> {
    let lists = ListSet {
        trust: read_opt(a.trust.as_deref())?.unwrap_or_default(),
        root_kids: a.root_kids.clone(),
        status: read_opt(a.status.as_deref())?,
        revocations: read_opt(a.revocations.as_deref())?,
        policy: read_opt(a.policy.as_deref())?,
        builtin: a.builtin.clone(),
        ..ListSet::default()
    };
    let mut config = Config::new(
        a.data.clone(),
        lists,
        TracePublicKey::from_hex(&read_text(&a.trace_pub)?)?,
    );
    config.database = a.database.clone();
    config.venue_root = venue_root(a.venue_root.as_deref())?;
    config.limits.per_token_per_sec = a.rate;
    if let Some(cap) = a.connections_per_address {
        config.limits.connections_per_address = cap;
    }
    config.private_webhooks = a.private_webhooks;
    config.plain_http = a.plain_http;
    config.retain_days = a.retain_days;
    config.webhook_ca = a.webhook_ca.clone();
    if let Some(rate) = a.check_ins_per_address {
        config.limits.check_ins_per_address = venuecode_server::Rate::new(rate, rate * 10.0);
    }
    config.trace = a
        .trace_key
        .as_deref()
        .map(|key| {
            let mut trace = trace_keys(key, a.token_key.as_deref())?;
            trace.audit_head = a.trace_audit_head.clone();
            Ok::<_, CliError>(trace)
        })
        .transpose()?;
    if let (Some(key), Some(prefix), Some(tokens)) = (&a.issue_key, &a.issue_prefix, &a.token_key) {
        config.issuer = Some(Issuer::new(
            crate::files::read_secret_key(key)?,
            Prefix::new(prefix)?,
            crate::lists::read_token_key(tokens)?,
        ));
    }
    run(config, a.listen, None)
}

/// Serves until interrupted (Ctrl-C or SIGTERM), printing the address first.
fn run(config: Config, listen: SocketAddr, banner: Option<String>) -> Result<u8, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the service: {e}")))?;
    runtime.block_on(async move {
        let service = Service::open(config).await?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| CliError::Usage(format!("cannot listen on {listen}: {e}")))?;
        let address = listener
            .local_addr()
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let banner = banner.map(|b| b.replace("{base}", &format!("http://{address}")));
        crate::output::report(
            &serde_json::json!({ "listening": format!("http://{address}/"), "banner": banner }),
            || {
                crate::output::say!("listening on http://{address}/");
                if let Some(banner) = &banner {
                    crate::output::say!("{banner}");
                }
            },
        )?;
        service.serve(listener, stopped()).await?;
        Ok(EXIT_OK)
    })
}

async fn stopped() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `accounts` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum AccountsCommand {
    /// Creates an account and prints its first token (shown once; only its digest is kept).
    Create {
        /// Its unique name.
        name: String,
        /// What the account may do.
        #[arg(long, value_parser = crate::manual::roles())]
        role: String,
        /// A district's divisions (2, 4 or 6 digits), a manager's venues, a gate's venue;
        /// repeat or separate with commas.
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
        /// A gate's doors (default: every door of its venue).
        #[arg(long, value_delimiter = ',')]
        door: Vec<String>,
        /// A holder's name (masked at once; the account keeps the mask only).
        #[arg(long, requires_all = ["id_number", "token_key"])]
        holder_name: Option<String>,
        /// A holder's ID number (kept only as its holder token and its mask).
        #[arg(long, requires = "holder_name")]
        id_number: Option<String>,
        /// The holder-token key, to make a holder's token.
        #[arg(long, requires = "holder_name")]
        token_key: Option<PathBuf>,
    },
    /// Prints a new token for an account (its other tokens keep working).
    Token {
        /// The account.
        name: String,
    },
    /// Revokes an account: its tokens and sessions stop at once.
    Revoke {
        /// The account.
        name: String,
    },
    /// Revokes one token, read from standard input.
    RevokeToken,
    /// Lists the accounts.
    List,
}

/// Where the service keeps its directory (accounts, webhooks): its folder, or its database.
#[derive(Debug, clap::Args)]
pub(crate) struct DirectoryArgs {
    /// The service's folder.
    #[arg(long)]
    data: PathBuf,
    /// The service's PostgreSQL database (as `serve --database`), where its accounts and
    /// webhooks are instead of DIR/service.sqlite.
    #[arg(long, env = "VENUECODE_DATABASE")]
    database: Option<String>,
}

/// A directory opened, with the runtime its PostgreSQL connection runs on.
struct OpenDirectory {
    directory: Directory,
    _runtime: Option<tokio::runtime::Runtime>,
}

impl std::ops::Deref for OpenDirectory {
    type Target = Directory;
    fn deref(&self) -> &Directory {
        &self.directory
    }
}

impl DirectoryArgs {
    fn open(&self) -> Result<OpenDirectory, CliError> {
        let Some(url) = &self.database else {
            std::fs::create_dir_all(&self.data).map_err(CliError::io(&self.data))?;
            return Ok(OpenDirectory {
                directory: Directory::open(&self.data.join("service.sqlite"))?,
                _runtime: None,
            });
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(CliError::io(Path::new("tokio")))?;
        Ok(OpenDirectory {
            directory: Directory::open_postgres(url, runtime.handle().clone())?,
            _runtime: Some(runtime),
        })
    }
}

/// `end-of-use` options.
#[derive(Debug, clap::Args)]
pub(crate) struct EndOfUseArgs {
    #[command(flatten)]
    at: DirectoryArgs,
    /// A secret file to destroy as well: the tracing key, the holder-token key, the venue
    /// root (repeat it for each).
    #[arg(long = "key")]
    keys: Vec<PathBuf>,
    /// `end-of-use`: that the data ends now (nothing destroyed can be had back).
    #[arg(long)]
    confirm: String,
}

/// The end of use (personal data serves epidemic control only): destroys the service's
/// personal records and what copies them (reports, deliveries, remembered codes, reads, venue
/// keys and the pseudonym root), the lists that name holders, the gate state's code digests,
/// and the secret files named; says what it destroyed.
pub(crate) fn end_of_use(a: &EndOfUseArgs) -> Result<u8, CliError> {
    if a.confirm != "end-of-use" {
        return Err(venuecode::Error::InvalidInput {
            field: "confirm",
            reason: "write --confirm end-of-use: what is destroyed cannot be had back".into(),
        }
        .into());
    }
    let lists = a.at.open()?.end_of_use()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::io(Path::new("tokio")))?;
    let data = &a.at.data;
    let store = runtime.block_on(async {
        let store = venuecode_ledger::store::Store::open(
            &data.join("ledger.sqlite"),
            a.at.database.as_deref(),
        )
        .await?;
        store.end_of_use().await
    })?;
    let mut files = Vec::new();
    let kept = [
        data.join("gate.state"),
        data.join("lists").join("status.bin"),
        data.join("lists").join("revocations.bin"),
    ];
    for path in kept.iter().chain(&a.keys) {
        if venuecode_ledger::files::destroy(path)? {
            files.push(path.display().to_string());
        }
    }
    let value = serde_json::json!({ "store": store, "lists": lists, "files": files });
    crate::output::report(&value, || {
        crate::output::say!(
            "destroyed: {} records, {} reports, {} deliveries, {} remembered codes, {} reads, \
             {} venue keys and the pseudonym root, {} lists naming holders, {} files",
            store.records,
            store.reports,
            store.deliveries,
            store.sightings,
            store.reads,
            store.venue_keys,
            lists,
            files.len()
        );
        for f in &files {
            crate::output::say!("  {}", crate::output::shown(f));
        }
    })?;
    Ok(0)
}

/// `accounts` options.
#[derive(Debug, clap::Args)]
pub(crate) struct AccountsArgs {
    #[command(flatten)]
    at: DirectoryArgs,
    #[command(subcommand)]
    command: AccountsCommand,
}

fn now() -> Timestamp {
    crate::clock::now()
}

pub(crate) fn accounts(a: &AccountsArgs) -> Result<u8, CliError> {
    let directory = a.at.open()?;
    match &a.command {
        AccountsCommand::Create {
            name,
            role,
            scope,
            door,
            holder_name,
            id_number,
            token_key,
        } => {
            let role = role.parse::<Role>()?;
            let account = match (role, holder_name, id_number, token_key) {
                (Role::Holder, Some(holder), Some(id), Some(key)) if scope.is_empty() => {
                    let id = venuecode::id::IdNumber::parse(id)?;
                    Account::holder(name, holder, &id, &crate::lists::read_token_key(key)?)?
                }
                (Role::Holder, ..) => {
                    return Err(CliError::Usage(
                        "a holder is named by --holder-name, --id-number and --token-key, \
                         without --scope"
                            .into(),
                    ));
                }
                (_, Some(_), ..) => {
                    return Err(CliError::Usage(
                        "--holder-name is for --role holder only".into(),
                    ));
                }
                _ => Account {
                    name: name.clone(),
                    role,
                    scope: scope.clone(),
                    doors: door.clone(),
                    revoked: false,
                },
            };
            let token = directory.create(&account, now())?;
            crate::output::report(&serde_json::json!({ "name": name, "token": token }), || {
                crate::output::say!("{token}")
            })?;
        }
        AccountsCommand::Token { name } => {
            let token = directory.issue(name, now())?;
            crate::output::report(&serde_json::json!({ "name": name, "token": token }), || {
                crate::output::say!("{token}")
            })?;
        }
        AccountsCommand::Revoke { name } => directory.revoke(name)?,
        AccountsCommand::RevokeToken => {
            let token = std::io::read_to_string(std::io::stdin().lock())
                .map_err(CliError::io(Path::new("-")))?;
            directory.revoke_token(token.trim())?;
        }
        AccountsCommand::List => {
            let accounts = directory.accounts()?;
            if crate::output::is_json() {
                crate::output::json(&accounts)?;
            } else {
                for x in accounts {
                    println!(
                        "{}\t{}\t{}{}{}",
                        crate::output::shown(&x.name),
                        x.role.name(),
                        crate::output::shown(&x.scope.join(",")),
                        if x.doors.is_empty() {
                            String::new()
                        } else {
                            format!("\tdoors {}", crate::output::shown(&x.doors.join(",")))
                        },
                        if x.revoked { "\trevoked" } else { "" }
                    );
                }
            }
        }
    }
    Ok(EXIT_OK)
}

/// The demo's day served: the demo's lists and records in a service under `out/service`, a
/// manager and a district office account, the clock at 09:00 on the demo's day and running.
pub(crate) fn demo_serve(
    out: &Path,
    listen: SocketAddr,
    demo: &crate::demo::Demo,
) -> Result<u8, CliError> {
    let data = out.join("service");
    if data.exists() {
        std::fs::remove_dir_all(&data).map_err(CliError::io(&data))?;
    }
    std::fs::create_dir_all(&data).map_err(CliError::io(&data))?;
    // The demo's ledger becomes the service's: the day's scans are there at once.
    std::fs::copy(out.join("ledger.sqlite"), data.join("ledger.sqlite"))
        .map_err(CliError::io(&data))?;
    let directory = Directory::open(&data.join("service.sqlite"))?;
    // The registry: the demo's venues, whose six doors' codes were all verified in the demo,
    // and one registered venue that has not put up its codes.
    let mut registry: Vec<RegisteredVenue> = demo
        .venues
        .iter()
        .map(|(venue_id, division, name, doors)| RegisteredVenue {
            venue_id: (*venue_id).to_owned(),
            name: (*name).to_owned(),
            division: *division,
            doors: doors.iter().map(|d| (*d).to_owned()).collect(),
        })
        .collect();
    for v in &registry {
        for door in &v.doors {
            directory.note_door(&v.venue_id, door)?;
        }
    }
    registry.push(RegisteredVenue {
        venue_id: "SH-PT-0999".into(),
        name: "示例未申领场所".into(),
        division: 310_107,
        doors: vec!["正门".into()],
    });
    directory.import_registry(&registry)?;
    let account = |name: &str, role, scope: &[&str]| Account {
        name: name.into(),
        role,
        scope: scope.iter().map(|s| (*s).to_owned()).collect(),
        doors: Vec::new(),
        revoked: false,
    };
    let first = demo.venues[0].0;
    let manager = directory.create(&account("demo-manager", Role::Manager, &[first]), demo.now)?;
    let district = directory.create(
        &account("demo-district", Role::District, &["310107"]),
        demo.now,
    )?;
    let authority = directory.create(&account("demo-authority", Role::Authority, &[]), demo.now)?;
    // Visitors who log in to get their own dynamic code from the service (the health-code
    // system's part, played by this node).
    let tokens = crate::lists::read_token_key(&out.join("holder.key"))?;
    let mut holders = String::new();
    for (i, (name, id, colour)) in crate::demo::HOLDERS.iter().enumerate() {
        let id = venuecode::id::IdNumber::parse(id)?;
        let holder = Account::holder(&format!("demo-holder-{}", i + 1), name, &id, &tokens)?;
        let token = directory.create(&holder, demo.now)?;
        holders.push_str(&format!(
            "  holder {} ({}): log in with {token}, then open a poster's URL\n",
            holder.scope[1],
            colour.name()
        ));
    }
    drop(directory);
    let started = std::time::Instant::now();
    let start = demo.now.unix();
    let lists = ListSet {
        trust: read(&out.join("trust.signed"))?,
        root_kids: vec![demo.root_kid],
        status: Some(read(&out.join("status.bin"))?),
        revocations: Some(read(&out.join("revocations.bin"))?),
        ..ListSet::default()
    };
    let tracing = TracePublicKey::from_hex(&read_text(&out.join("trace.pub"))?)?;
    let mut config = Config::new(data, lists, tracing);
    config.clock = Arc::new(move || {
        let elapsed = i64::try_from(started.elapsed().as_secs()).unwrap_or(i64::MAX);
        Timestamp::from_unix(start.saturating_add(elapsed))
    });
    config.log = Arc::new(|_| {});
    // The demo is served over plain HTTP on the machine itself.
    config.plain_http = true;
    config.trace = Some(trace_keys(
        &out.join("trace.key"),
        Some(&out.join("holder.key")),
    )?);
    config.issuer = Some(Issuer::new(
        crate::files::read_secret_key(&out.join("personal.pem"))?,
        demo.prefix.clone(),
        tokens,
    ));
    // The first venue's posters, opened through the service (as a phone's scanner opens the
    // code's URL on the code's own host): `{base}` is the address, once listening.
    let visitors: String = demo
        .posters
        .iter()
        .filter(|(venue, _, _)| venue == first)
        .map(|(venue, door, text)| {
            let path = text
                .strip_prefix("HTTPS://")
                .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
                .unwrap_or_default();
            format!("  visitor at {venue} {door} (扫码): open {{base}}{path}\n")
        })
        .collect();
    let banner = format!(
        "the demo's day, served (the clock starts at {} CST)\n  manager of {first}: log in with {manager}\n  \
         district 310107:  log in with {district}\n{holders}{visitors}  \
         authority (trace queries, POST /v1/trace/venue and /v1/trace/holder): token {authority}\n  \
         Ctrl-C stops it",
        demo.now.cst()
    );
    run(config, listen, Some(banner))
}

/// `webhooks` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum WebhooksCommand {
    /// Adds a webhook and prints its id and secret (the HMAC key its receiver checks with).
    Add {
        /// Where reports are POSTed (https://, or http://).
        #[arg(long)]
        url: String,
        /// A venue's reports.
        #[arg(
            long,
            conflicts_with = "division",
            required_unless_present = "division"
        )]
        venue: Option<String>,
        /// A division's reports (2, 4 or 6 digits).
        #[arg(long)]
        division: Option<String>,
    },
    /// Lists the webhooks (without secrets).
    List,
    /// Removes a webhook.
    Remove {
        /// Its id.
        id: i64,
    },
}

/// `webhooks` options.
#[derive(Debug, clap::Args)]
pub(crate) struct WebhooksArgs {
    #[command(flatten)]
    at: DirectoryArgs,
    #[command(subcommand)]
    command: WebhooksCommand,
}

pub(crate) fn webhooks(a: &WebhooksArgs) -> Result<u8, CliError> {
    let directory = a.at.open()?;
    match &a.command {
        WebhooksCommand::Add {
            url,
            venue,
            division,
        } => {
            let hook = directory.add_webhook(url, venue.as_deref(), division.as_deref())?;
            let value = serde_json::json!({ "id": hook.id, "secret": hook.secret });
            crate::output::report(&value, || {
                crate::output::say!("{}\t{}", hook.id, hook.secret)
            })?;
        }
        WebhooksCommand::List => {
            let hooks = directory.webhooks()?;
            // The service's own shape of a webhook (its secret is never serialised).
            crate::output::report(&hooks, || {
                for h in &hooks {
                    let scope = h.venue_id.as_ref().or(h.division.as_ref());
                    crate::output::say!(
                        "{}\t{}\t{}",
                        h.id,
                        crate::output::shown(&h.url),
                        crate::output::shown(scope.map_or("", String::as_str))
                    );
                }
            })?;
        }
        WebhooksCommand::Remove { id } => directory.remove_webhook(*id)?,
    }
    Ok(EXIT_OK)
}
