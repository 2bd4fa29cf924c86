//! Identity and access, in one place: API tokens (format, hashing, checking),
//! principals and their grants, and the TLP 2.0 visibility rule that every data
//! path (TAXII objects, versions, manifest, REST, export, search) applies.
//!
//! The rule (docs/CLI.md, `serve`): a caller needs read on the collection; then
//! TLP:CLEAR is visible to anyone, GREEN to every account of this server, AMBER to
//! the owning organisation (the object's `created_by_ref`, mapped to an organisation
//! by `admin org add --identity`) and the organisations it names as clients,
//! AMBER+STRICT to the owning organisation only, RED only to the users and
//! organisations named in a grant on that object. The most restrictive TLP marking
//! of an object wins (TLP 1.0 WHITE counts as CLEAR); unmarked objects take their
//! collection's default marking; other markings are kept and never widen access.
//! A relationship or sighting is visible only when each of its ends is (an end the
//! store does not hold hides nothing).

use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::sync::Arc;

use stormwatch_model::tlp::{self, Tlp};
use stormwatch_store::{
    AccessRecord, Collection, Directory, Entry, Permission, PrincipalKind, Store, TargetKind,
    TokenOwner,
};

/// Prefix of every token Stormwatch issues.
pub const TOKEN_PREFIX: &str = "swt_";

/// A new random token and the hash that the store keeps. The token is shown once.
pub fn new_token() -> (String, String) {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    let token = format!("{TOKEN_PREFIX}{a}{b}");
    let hash = hash_token(&token);
    (token, hash)
}

/// The stored form of a token: SHA-256, hex. Tokens are 244 random bits, so a fast
/// hash is enough; lookups go by hash, so no secret is ever compared byte by byte.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The name of a TLP level as written in logs and REST output.
pub fn tlp_name(t: Tlp) -> &'static str {
    match t {
        Tlp::Clear => "TLP:CLEAR",
        Tlp::Green => "TLP:GREEN",
        Tlp::Amber => "TLP:AMBER",
        Tlp::AmberStrict => "TLP:AMBER+STRICT",
        Tlp::Red => "TLP:RED",
    }
}

/// The effective TLP level of an object version in a collection.
pub fn effective_tlp(markings: &[String], default_marking: &str) -> Tlp {
    markings
        .iter()
        .filter_map(|m| tlp::level_of(m))
        .max()
        .or_else(|| tlp::level_of(default_marking))
        .unwrap_or(Tlp::Amber)
}

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The local owner (the CLI on its own store): sees everything.
    Owner,
    /// An authenticated user.
    User(UserView),
}

/// An authenticated user with everything access decisions need.
#[derive(Debug, Clone)]
pub struct UserView {
    pub name: String,
    pub org: String,
    pub token: String,
    /// Collection id -> permission (user and organisation grants merged).
    pub collections: FxHashMap<String, Permission>,
    /// Objects whose RED recipients name this user or organisation.
    pub red: FxHashSet<String>,
}

/// The latest entries of relationships' and sightings' ends, by object id. (Fx
/// hashing: the keys are ids of stored objects, and these maps are hashed for
/// every entry of every page.)
pub type Ends<E> = FxHashMap<String, Vec<E>>;

/// The directory in the form the rule needs: built once, shared by requests.
#[derive(Debug, Default)]
pub struct Policy {
    pub directory: Directory,
    /// STIX identity id -> organisation name.
    owners: FxHashMap<String, String>,
    /// Organisation -> organisations it names as clients.
    clients: FxHashMap<String, FxHashSet<String>>,
    /// Collection id -> collection.
    pub collections: FxHashMap<String, Collection>,
}

impl Policy {
    pub fn new(directory: Directory) -> Policy {
        let mut owners = FxHashMap::default();
        let mut clients: FxHashMap<String, FxHashSet<String>> = FxHashMap::default();
        for o in &directory.orgs {
            for i in &o.identities {
                owners.insert(i.clone(), o.name.clone());
            }
            clients
                .entry(o.name.clone())
                .or_default()
                .extend(o.clients.iter().cloned());
        }
        let collections = directory
            .collections
            .iter()
            .map(|c| (c.id.clone(), c.clone()))
            .collect();
        Policy {
            directory,
            owners,
            clients,
            collections,
        }
    }

    /// The user's view: grants of the user and of the user's organisation.
    pub fn user_view(&self, name: &str, org: &str, token: &str) -> UserView {
        let mut collections: FxHashMap<String, Permission> = FxHashMap::default();
        let mut red = FxHashSet::default();
        let by_name: HashMap<&str, &Collection> = self
            .directory
            .collections
            .iter()
            .map(|c| (c.name.as_str(), c))
            .collect();
        for g in &self.directory.grants {
            let mine = match g.principal_kind {
                PrincipalKind::User => g.principal == name,
                PrincipalKind::Org => g.principal == org,
            };
            if !mine {
                continue;
            }
            match g.target_kind {
                TargetKind::Collection => {
                    if let Some(c) = by_name.get(g.target.as_str()) {
                        let p = collections.entry(c.id.clone()).or_insert(g.permission);
                        *p = (*p).max(g.permission);
                    }
                }
                TargetKind::Object => {
                    red.insert(g.target.clone());
                }
            }
        }
        UserView {
            name: name.to_owned(),
            org: org.to_owned(),
            token: token.to_owned(),
            collections,
            red,
        }
    }

    /// The organisation that owns an object, from its `created_by_ref`.
    pub fn owner_of(&self, created_by: Option<&str>) -> Option<&str> {
        created_by
            .and_then(|c| self.owners.get(c))
            .map(String::as_str)
    }

    /// May `p` read collection `id`?
    pub fn can_read(&self, p: &Principal, id: &str) -> bool {
        match p {
            Principal::Owner => self.collections.contains_key(id),
            Principal::User(u) => u.collections.contains_key(id),
        }
    }

    /// May `p` write to collection `id`?
    pub fn can_write(&self, p: &Principal, id: &str) -> bool {
        match p {
            Principal::Owner => self.collections.contains_key(id),
            Principal::User(u) => u.collections.get(id) == Some(&Permission::Write),
        }
    }

    /// The TLP level of an entry in its collection.
    pub fn tlp_of(&self, e: &Entry) -> Tlp {
        let default = self
            .collections
            .get(&e.collection)
            .map(|c| c.default_marking.as_str())
            .unwrap_or("");
        effective_tlp(&e.markings, default)
    }

    /// The TLP rule for one entry, ends aside.
    pub fn sees_entry(&self, p: &Principal, e: &Entry) -> bool {
        let u = match p {
            Principal::Owner => return true,
            Principal::User(u) => u,
        };
        if !u.collections.contains_key(&e.collection) {
            return false;
        }
        match self.tlp_of(e) {
            Tlp::Clear | Tlp::Green => true,
            Tlp::Amber => match self.owner_of(e.created_by.as_deref()) {
                Some(owner) => {
                    owner == u.org || self.clients.get(owner).is_some_and(|c| c.contains(&u.org))
                }
                None => false,
            },
            Tlp::AmberStrict => self.owner_of(e.created_by.as_deref()) == Some(u.org.as_str()),
            Tlp::Red => u.red.contains(&e.id),
        }
    }

    /// Filters entries to those `p` may see, relationship and sighting ends included.
    /// `ends` holds the latest entries (in any collection) of the ends' ids.
    pub fn visible<E: Borrow<Entry>>(&self, p: &Principal, e: &Entry, ends: &Ends<E>) -> bool {
        if !self.sees_entry(p, e) {
            return false;
        }
        if matches!(p, Principal::Owner) {
            return true;
        }
        e.ends.iter().all(|id| match ends.get(id) {
            None => true,
            Some(list) => list.iter().any(|x| self.sees_entry(p, x.borrow())),
        })
    }

    /// The access-log records for entries returned to `p` (AMBER and RED only).
    pub fn log_records<E: Borrow<Entry>>(
        &self,
        p: &Principal,
        entries: &[E],
        endpoint: &str,
    ) -> Vec<AccessRecord> {
        let Principal::User(u) = p else {
            return Vec::new();
        };
        let time = stormwatch_model::Timestamp::now().to_string();
        entries
            .iter()
            .map(Borrow::borrow)
            .filter_map(|e: &Entry| {
                let t = self.tlp_of(e);
                (t >= Tlp::Amber).then(|| AccessRecord {
                    time: time.clone(),
                    token: u.token.clone(),
                    user: u.name.clone(),
                    org: u.org.clone(),
                    collection: e.collection.clone(),
                    object_id: e.id.clone(),
                    version: e.version.clone(),
                    tlp: tlp_name(t).to_owned(),
                    endpoint: endpoint.to_owned(),
                })
            })
            .collect()
    }
}

/// Latest entries of every end of `entries`, by id.
pub fn ends_of(store: &dyn Store, entries: &[Entry]) -> stormwatch_store::Result<Ends<Entry>> {
    let mut ids: Vec<String> = entries
        .iter()
        .flat_map(|e| e.ends.iter().cloned())
        .collect();
    ids.sort();
    ids.dedup();
    let mut map: Ends<Entry> = Ends::default();
    if ids.is_empty() {
        return Ok(map);
    }
    for e in store.latest_entries(&ids)? {
        map.entry(e.id.clone()).or_default().push(e);
    }
    Ok(map)
}

/// Why a credential was refused (all map to 401; the reason is logged, not sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Missing,
    Malformed,
    Unknown,
    Revoked,
    Expired,
    WrongUser,
}

/// A credential from the `Authorization` header: (token, user name for Basic).
pub fn parse_authorization(header: Option<&str>) -> Result<(String, Option<String>), Refused> {
    let h = header.ok_or(Refused::Missing)?.trim();
    let (scheme, rest) = h.split_once(' ').ok_or(Refused::Malformed)?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok((rest.to_owned(), None));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let raw = base64_decode(rest).ok_or(Refused::Malformed)?;
        let text = String::from_utf8(raw).map_err(|_| Refused::Malformed)?;
        let (user, token) = text.split_once(':').ok_or(Refused::Malformed)?;
        return Ok((token.to_owned(), Some(user.to_owned())));
    }
    Err(Refused::Malformed)
}

/// Token records recently read from the store, by hash, so that a busy client does
/// not cost a store lookup per request. Revocation and expiry take effect within
/// [`TOKEN_TTL`].
#[derive(Default)]
pub struct TokenCache(std::sync::Mutex<HashMap<String, (std::time::Instant, TokenOwner)>>);

/// How long a token record is reused.
pub const TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(1);

impl TokenCache {
    fn lookup(&self, store: &dyn Store, hash: &str) -> Result<Option<TokenOwner>, Refused> {
        if let Ok(m) = self.0.lock() {
            if let Some((at, o)) = m.get(hash) {
                if at.elapsed() < TOKEN_TTL {
                    return Ok(Some(o.clone()));
                }
            }
        }
        let found = store.token_owner(hash).map_err(|_| Refused::Unknown)?;
        if let (Some(o), Ok(mut m)) = (&found, self.0.lock()) {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(hash.to_owned(), (std::time::Instant::now(), o.clone()));
        }
        Ok(found)
    }
}

/// Checks a presented token against the store; `now` is an RFC 3339 UTC time.
pub fn authenticate(
    store: &dyn Store,
    cache: &TokenCache,
    policy: &Arc<Policy>,
    token: &str,
    basic_user: Option<&str>,
    now: &str,
) -> Result<UserView, Refused> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Err(Refused::Malformed);
    }
    let owner = cache
        .lookup(store, &hash_token(token))?
        .ok_or(Refused::Unknown)?;
    if owner.token.revoked.is_some() {
        return Err(Refused::Revoked);
    }
    if let Some(exp) = &owner.token.expires {
        if !later(exp, now) {
            return Err(Refused::Expired);
        }
    }
    if basic_user.is_some_and(|u| u != owner.user.name) {
        return Err(Refused::WrongUser);
    }
    Ok(policy.user_view(&owner.user.name, &owner.user.org, &owner.token.id))
}

/// `a` is after `b` (both STIX timestamps; unparsable counts as not after).
fn later(a: &str, b: &str) -> bool {
    use stormwatch_model::Timestamp;
    match (Timestamp::parse(a), Timestamp::parse(b)) {
        (Ok(x), Ok(y)) => x > y,
        _ => false,
    }
}

/// Standard base64 (padding optional).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_token();
        let (b, hb) = new_token();
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert_eq!(hash_token(&a), ha);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == 68);
    }

    #[test]
    fn basic_credentials_decode() {
        // "alice:swt_x" in base64
        let (t, u) = parse_authorization(Some("Basic YWxpY2U6c3d0X3g=")).unwrap();
        assert_eq!((t.as_str(), u.as_deref()), ("swt_x", Some("alice")));
        assert_eq!(
            parse_authorization(Some("Bearer swt_y")).unwrap().0,
            "swt_y"
        );
        assert_eq!(parse_authorization(None), Err(Refused::Missing));
        assert_eq!(
            parse_authorization(Some("Basic %%%")),
            Err(Refused::Malformed)
        );
    }

    #[test]
    fn most_restrictive_marking_wins_and_default_applies() {
        let m = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let clear = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
        let red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
        let white = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
        let stmt = "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168";
        assert_eq!(effective_tlp(&m(&[clear, red]), clear), Tlp::Red);
        assert_eq!(effective_tlp(&m(&[white]), red), Tlp::Clear);
        assert_eq!(effective_tlp(&m(&[stmt]), clear), Tlp::Clear);
        assert_eq!(effective_tlp(&m(&[]), "unknown"), Tlp::Amber);
    }
}
