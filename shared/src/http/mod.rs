//! HTTP in and out: parsing requests ([`request`]), building responses
//! ([`response`], the one place an [`Error`](crate::Error) becomes a status and a
//! JSON body), the routes ([`handlers`], one module per function) and the Lambda
//! event loop every `main` hands its handler to ([`runtime`]).

pub mod handlers;
pub mod request;
pub mod response;
pub mod runtime;
