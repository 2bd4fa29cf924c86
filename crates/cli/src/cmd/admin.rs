//! `stormwatch admin`: organisations, users, API tokens, collections and grants
//! for `serve`, and the access log of AMBER and RED reads.

use anyhow::{bail, Result};
use clap::Subcommand;
use serde::Serialize;
use std::io::Write;

use crate::global::{self, Exit, Global};
use stormwatch_report::{Format, Table};
use stormwatch_store::{Grant, Permission, PrincipalKind, Store, TargetKind};

/// Manage who may read and write what through `serve`.
///
/// Organisations own objects through the STIX identities they stand for
/// (`--identity`, matched against `created_by_ref`) and may name clients (TLP:AMBER).
/// Tokens are printed once and stored only as hashes.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(Subcommand, Debug)]
pub enum What {
    /// Organisations: `admin org add NAME [--identity ID]... [--client-of ORG]...`, `admin org list`
    Org {
        #[command(subcommand)]
        op: OrgOp,
    },
    /// Users: `admin user add NAME --org ORG`, `admin user list`
    User {
        #[command(subcommand)]
        op: UserOp,
    },
    /// API tokens: `admin token create USER [--expires 30d]`, `revoke ID`, `list`
    Token {
        #[command(subcommand)]
        op: TokenOp,
    },
    /// Collections: `admin collection add NAME [--default-marking TLP:AMBER]`, `list`
    Collection {
        #[command(subcommand)]
        op: CollectionOp,
    },
    /// Grants: `admin grant USER|ORG COLLECTION read|write`, or `admin grant USER|ORG
    /// OBJECT-ID read` to name a recipient of a TLP:RED object; `admin grant list`
    Grant(GrantArgs),
    /// The access log: reads of AMBER and RED objects, newest first
    Log {
        /// How many records
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

#[derive(Subcommand, Debug)]
pub enum OrgOp {
    Add {
        name: String,
        /// A STIX identity id that stands for this organisation (repeatable)
        #[arg(long, value_name = "IDENTITY-ID")]
        identity: Vec<String>,
        /// An organisation that names this one as its client (TLP:AMBER; repeatable)
        #[arg(long, value_name = "ORG")]
        client_of: Vec<String>,
    },
    List,
}

#[derive(Subcommand, Debug)]
pub enum UserOp {
    Add {
        name: String,
        #[arg(long, value_name = "ORG")]
        org: String,
    },
    List,
}

#[derive(Subcommand, Debug)]
pub enum TokenOp {
    Create {
        user: String,
        /// Lifetime (`90d`, `12h`, `30m`, `3600s`) or an RFC 3339 UTC expiry time
        #[arg(long, value_name = "DURATION")]
        expires: Option<String>,
    },
    Revoke {
        id: String,
    },
    List,
}

#[derive(Subcommand, Debug)]
pub enum CollectionOp {
    Add {
        name: String,
        /// Marking that unmarked objects take (TLP name or marking-definition id)
        #[arg(long, value_name = "MARKING", default_value = "TLP:AMBER")]
        default_marking: String,
        #[arg(long)]
        description: Option<String>,
    },
    List,
}

#[derive(clap::Args, Debug)]
pub struct GrantArgs {
    /// `list`, or a user or organisation name (`user:NAME` / `org:NAME` when both exist)
    pub principal: String,
    /// A collection name, or an object id (a TLP:RED recipient grant)
    pub target: Option<String>,
    /// read or write (write includes read)
    pub permission: Option<String>,
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    let mut store = g.open_store()?;
    let s = store.as_mut();
    match &a.what {
        What::Org { op } => match op {
            OrgOp::Add {
                name,
                identity,
                client_of,
            } => {
                for i in identity {
                    if !i.starts_with("identity--")
                        || stormwatch_model::object::check_id(i).is_err()
                    {
                        bail!("--identity {i:?} is not a STIX identity id (identity--UUID)");
                    }
                }
                let o = s.org_add(name, identity, client_of)?;
                done(g, &o, &format!("added organisation {}", o.name))
            }
            OrgOp::List => {
                let d = s.directory()?;
                let rows = d
                    .orgs
                    .iter()
                    .map(|o| {
                        vec![
                            o.name.clone(),
                            o.identities.join(" "),
                            o.clients.join(" "),
                            o.created.clone(),
                        ]
                    })
                    .collect();
                list(
                    g,
                    &d.orgs,
                    &["name", "identities", "clients", "created"],
                    rows,
                )
            }
        },
        What::User { op } => match op {
            UserOp::Add { name, org } => {
                let u = s.user_add(name, org)?;
                done(g, &u, &format!("added user {} in {}", u.name, u.org))
            }
            UserOp::List => {
                let d = s.directory()?;
                let rows = d
                    .users
                    .iter()
                    .map(|u| vec![u.name.clone(), u.org.clone(), u.created.clone()])
                    .collect();
                list(g, &d.users, &["name", "org", "created"], rows)
            }
        },
        What::Token { op } => match op {
            TokenOp::Create { user, expires } => {
                let exp = expires.as_deref().map(expiry).transpose()?;
                let (token, hash) = stormwatch_server::access::new_token();
                let t = s.token_add(user, &hash, exp.as_deref())?;
                let mut out = global::stdout();
                writeln!(out, "{token}")?;
                out.flush()?;
                g.note(&format!(
                    "token {} for {} (expires {}); it is shown only now",
                    t.id,
                    t.user,
                    t.expires.as_deref().unwrap_or("never")
                ));
                Ok(Exit::Clean)
            }
            TokenOp::Revoke { id } => {
                if !s.token_revoke(id)? {
                    bail!("no active token {id:?} (see `stormwatch admin token list`)");
                }
                g.note(&format!("revoked {id}"));
                Ok(Exit::Clean)
            }
            TokenOp::List => {
                let d = s.directory()?;
                let rows = d
                    .tokens
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.clone(),
                            t.user.clone(),
                            t.created.clone(),
                            t.expires.clone().unwrap_or_default(),
                            t.revoked.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                list(
                    g,
                    &d.tokens,
                    &["id", "user", "created", "expires", "revoked"],
                    rows,
                )
            }
        },
        What::Collection { op } => match op {
            CollectionOp::Add {
                name,
                default_marking,
                description,
            } => {
                let marking = marking_id(default_marking)?;
                let c = s.collection_add(name, description.as_deref(), &marking)?;
                done(g, &c, &format!("added collection {} ({})", c.name, c.id))
            }
            CollectionOp::List => {
                let d = s.directory()?;
                let rows = d
                    .collections
                    .iter()
                    .map(|c| {
                        vec![
                            c.name.clone(),
                            c.id.clone(),
                            marking_name(&c.default_marking),
                            c.description.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                list(
                    g,
                    &d.collections,
                    &["name", "id", "default_marking", "description"],
                    rows,
                )
            }
        },
        What::Grant(ga) => grant(g, s, ga),
        What::Log { limit } => {
            let log = s.access_log(*limit)?;
            let rows = log
                .iter()
                .map(|r| {
                    vec![
                        r.time.clone(),
                        r.user.clone(),
                        r.org.clone(),
                        r.tlp.clone(),
                        r.object_id.clone(),
                        r.endpoint.clone(),
                    ]
                })
                .collect();
            list(
                g,
                &log,
                &["time", "user", "org", "tlp", "object", "endpoint"],
                rows,
            )
        }
    }
}

fn grant(g: &Global, s: &mut dyn Store, a: &GrantArgs) -> Result<Exit> {
    if a.principal == "list" && a.target.is_none() {
        let d = s.directory()?;
        let rows = d
            .grants
            .iter()
            .map(|x| {
                vec![
                    format!("{:?}", x.principal_kind).to_lowercase(),
                    x.principal.clone(),
                    format!("{:?}", x.target_kind).to_lowercase(),
                    x.target.clone(),
                    x.permission.as_str().to_owned(),
                ]
            })
            .collect();
        return list(
            g,
            &d.grants,
            &["kind", "principal", "on", "target", "permission"],
            rows,
        );
    }
    let (Some(target), Some(perm)) = (&a.target, &a.permission) else {
        bail!("usage: stormwatch admin grant USER|ORG COLLECTION|OBJECT-ID read|write (or `admin grant list`)");
    };
    let permission = match perm.as_str() {
        "read" => Permission::Read,
        "write" => Permission::Write,
        p => bail!("permission {p:?} is neither read nor write"),
    };
    let d = s.directory()?;
    let (kind, name) = match a.principal.split_once(':') {
        Some(("user", n)) => (PrincipalKind::User, n.to_owned()),
        Some(("org", n)) => (PrincipalKind::Org, n.to_owned()),
        _ => {
            let user = d.users.iter().any(|u| u.name == a.principal);
            let org = d.orgs.iter().any(|o| o.name == a.principal);
            match (user, org) {
                (true, true) => bail!(
                    "{:?} is both a user and an organisation; write user:{0} or org:{0}",
                    a.principal
                ),
                (true, false) => (PrincipalKind::User, a.principal.clone()),
                (false, true) => (PrincipalKind::Org, a.principal.clone()),
                (false, false) => bail!(
                    "no user or organisation named {:?} (see `stormwatch admin user list`)",
                    a.principal
                ),
            }
        }
    };
    let target_kind = if stormwatch_model::object::check_id(target).is_ok() {
        if permission == Permission::Write {
            bail!("an object grant names a TLP:RED recipient and takes `read`, not `write`");
        }
        TargetKind::Object
    } else {
        TargetKind::Collection
    };
    let gr = Grant {
        principal_kind: kind,
        principal: name,
        target_kind,
        target: target.clone(),
        permission,
    };
    s.grant_add(&gr)?;
    done(
        g,
        &gr,
        &format!(
            "granted {} {} on {}",
            gr.principal,
            gr.permission.as_str(),
            gr.target
        ),
    )
}

/// A TLP name or marking-definition id to one marking id (TLP names: the 2.0 one).
fn marking_id(spec: &str) -> Result<String> {
    match stormwatch_model::tlp::resolve(spec) {
        Some(ids) if !ids.is_empty() => Ok(ids[0].clone()),
        _ => bail!(
            "--default-marking {spec:?} is neither a TLP name (TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED) nor a marking-definition id"
        ),
    }
}

fn marking_name(id: &str) -> String {
    stormwatch_model::tlp::TLP_MARKINGS
        .iter()
        .find(|(m, _, _)| *m == id)
        .map(|(_, _, n)| (*n).to_owned())
        .unwrap_or_else(|| id.to_owned())
}

/// `90d`, `12h`, `30m`, `3600s` from now, or an RFC 3339 UTC time.
fn expiry(s: &str) -> Result<String> {
    use stormwatch_model::Timestamp;
    if let Ok(t) = Timestamp::parse_lenient(s) {
        return Ok(t.to_string());
    }
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = num
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| anyhow::anyhow!("--expires {s:?}: expected a duration such as 90d, 12h, 30m or 3600s, or an RFC 3339 UTC time"))?;
    let secs = match unit {
        "d" => n.saturating_mul(86_400),
        "h" => n.saturating_mul(3_600),
        "m" => n.saturating_mul(60),
        "s" => n,
        _ => bail!("--expires {s:?}: the unit must be d, h, m or s"),
    };
    let now = Timestamp::now();
    Ok(Timestamp::from_unix(now.unix_seconds().saturating_add(secs), 0).to_string())
}

fn done<T: Serialize>(g: &Global, v: &T, msg: &str) -> Result<Exit> {
    let mut out = global::stdout();
    match g.format {
        Format::Json => stormwatch_report::write_json(&mut out, v)?,
        Format::Jsonl => stormwatch_report::write_jsonl(&mut out, [v])?,
        _ => writeln!(out, "{msg}")?,
    }
    out.flush()?;
    Ok(Exit::Clean)
}

fn list<T: Serialize>(
    g: &Global,
    items: &[T],
    headers: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<Exit> {
    let mut out = global::stdout();
    match g.format {
        Format::Json => stormwatch_report::write_json(&mut out, items)?,
        Format::Jsonl => stormwatch_report::write_jsonl(&mut out, items)?,
        Format::Csv => stormwatch_report::write_csv(&mut out, headers, &rows)?,
        _ => {
            let mut t = Table::new(headers);
            for r in rows {
                t.row(
                    r.into_iter()
                        .map(|c| stormwatch_report::clean(&c))
                        .collect(),
                );
            }
            t.write(&mut out)?;
        }
    }
    out.flush()?;
    Ok(Exit::Clean)
}
