//! One module per figure of the issue; each measures its figure and its same-run baseline.

pub mod latency;
pub mod live_page;
pub mod page_load;
pub mod reads;
pub mod replay;
pub mod writes;
