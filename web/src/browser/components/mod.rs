//! The page's components. Each takes the slice of the state it shows as
//! props, and callbacks for what it does: a component whose props did not
//! change is not rendered again. None reaches the manager or the app.

mod chart;
mod code;
mod feedback;
mod forms;
mod header;
mod narration;
mod predict;
mod reading;
mod scenario;
mod shared;
mod source;
mod speedup;
mod steps;
mod table;
mod timeline;

pub use chart::Chart;
pub use code::CodePanel;
pub use forms::{BroadcastForm, MessageForm, ShutdownForm, SpawnForm};
pub use header::Header;
pub use narration::NarrationPanel;
pub use predict::PredictPanel;
pub use reading::{Learn, SeedNotes};
pub use scenario::{ScenarioActions, ScenarioPanel};
pub use shared::Shared;
pub use source::{SourcePanel, Unavailable};
pub use speedup::Speedup;
pub use steps::StepsPage;
pub use table::WorkersTable;
pub use timeline::Timeline;

/// An inline error or note.
pub use feedback::view as feedback_view;
