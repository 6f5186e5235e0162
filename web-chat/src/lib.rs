//! The web chat server behind `wakil serve`: HTTP, login, the WebSocket chat, the page, the
//! dashboard and files. The `wakil` binary (`main.rs`) adds the command line around it.

pub mod channels;
pub mod client;
pub mod server;
pub mod uploads;
