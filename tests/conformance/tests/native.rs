//! The conformance suite on native std threads.

#![cfg(not(target_arch = "wasm32"))]

use threadyard_conformance::*;

macro_rules! native {
    ($($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $module::$case();
            }
        )*
    };
}

macro_rules! native_async {
    ($($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                support::block_on($module::$case());
            }
        )*
    };
}

for_each_case!(native);
for_each_async_case!(native_async);
