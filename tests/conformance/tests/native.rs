//! The conformance suite on native std threads.

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

for_each_case!(native);
