//! Statuses as database columns: stored as their snake_case names, read back into the enums,
//! so nothing above the database edge handles them as strings. An unknown name in a row is a
//! decode error naming it, not a status.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

use crate::{InvitationStatus, ListStatus};

macro_rules! text_column {
    ($status:ty, $what:literal) => {
        impl<DB: Database> Type<DB> for $status
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $status
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let name = <&str as Decode<DB>>::decode(value)?;
                <$status>::parse(name).ok_or_else(|| format!("`{name}` is not {}", $what).into())
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $status
        where
            &'q str: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <&'q str as Encode<'q, DB>>::encode_by_ref(&self.as_str(), buf)
            }
        }
    };
}

text_column!(InvitationStatus, "an invitation status");
text_column!(ListStatus, "an invitation status or not_sent");
