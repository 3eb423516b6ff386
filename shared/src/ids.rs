//! Prefixed external ids (`rt_…`, `org_…`): a type per resource, so a route
//! id can never be passed where an upstream id is expected.
//!
//! Format: prefix, `_`, then 32 lowercase hex digits of a UUIDv7 (time
//! ordered, so ids sort by creation and index well). Stored as the same
//! text in Postgres.

/// An id string did not have the expected prefix and shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {expected} id")]
pub struct InvalidId {
    /// The prefix that was expected, e.g. `rt_`.
    pub expected: &'static str,
}

/// Parses an id path segment, answering 404 with `not_found` for anything
/// that is not one: a malformed id is as absent as a missing one, and a
/// hostile path segment never reaches SQL as anything but a bound string.
pub fn path_id<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, InvalidId>,
    not_found: impl Into<String>,
) -> Result<T, crate::error::Problem> {
    parse(raw).map_err(|_| crate::error::Problem::not_found(not_found))
}

/// Validates `<prefix><32 hex>`.
pub fn is_valid(prefix: &str, s: &str) -> bool {
    s.len() == prefix.len() + 32
        && s.starts_with(prefix)
        && s[prefix.len()..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Declares a prefixed id type.
#[macro_export]
macro_rules! prefixed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// The prefix including the underscore.
            pub const PREFIX: &'static str = concat!($prefix, "_");

            /// A new time-ordered id.
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                Self(format!("{}{}", Self::PREFIX, uuid::Uuid::now_v7().simple()))
            }

            /// Parses an id, checking prefix and shape.
            pub fn parse(s: &str) -> Result<Self, $crate::ids::InvalidId> {
                if $crate::ids::is_valid(Self::PREFIX, s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err($crate::ids::InvalidId { expected: Self::PREFIX })
                }
            }

            /// The id text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ids::InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "_[0-9a-f]{32}$")))
                    .examples([serde_json::json!(concat!($prefix, "_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f"))])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

prefixed_id!(
    /// A registered gateway instance.
    GatewayId, "gw"
);
prefixed_id!(
    /// An upstream (pool of targets).
    UpstreamId, "ups"
);
prefixed_id!(
    /// A route (host and path match sent to one upstream); also the last
    /// segment of its etcd key under `/qsgw/v1/routes/`.
    RouteId, "rt"
);
prefixed_id!(
    /// A threat event.
    ThreatId, "thr"
);
prefixed_id!(
    /// A recorded TLS session.
    TlsSessionId, "tls"
);
prefixed_id!(
    /// A user of the control plane.
    UserId, "usr"
);
prefixed_id!(
    /// A QRAP organization (tenant).
    OrgId, "org"
);
prefixed_id!(
    /// A QRAP assessment.
    AssessmentId, "asmnt"
);
prefixed_id!(
    /// A QRAP finding.
    FindingId, "fnd"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_wrong_prefix() {
        let id = RouteId::new();
        assert!(id.as_str().starts_with("rt_"));
        assert_eq!(RouteId::parse(id.as_str()).unwrap(), id);
        assert!(UpstreamId::parse(id.as_str()).is_err());
        assert!(RouteId::parse("rt_XYZ").is_err());
        assert!(RouteId::parse("rt_' OR '1'='1").is_err());
        let json = serde_json::to_string(&id).unwrap();
        let back: RouteId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert!(
            serde_json::from_str::<RouteId>("\"ups_00000000000000000000000000000000\"").is_err()
        );
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = OrgId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = OrgId::new();
        assert!(a < b);
    }
}
