//! Issue a venue code and verify it (filled in below).
fn main() {}
