//! `get KEY [FILE|-]`: small files come inline; larger ones through the API's 307 to
//! a presigned S3 GET, which is followed here **without** the Authorization header.

use homedir_wire::routes;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use tokio::io::AsyncWriteExt;

use super::{base_name, emit, is_folder};
use crate::api::{Api, network_error};
use crate::cli::Get;
use crate::error::{Error, Result};
use crate::human::bytes;
use crate::progress::Progress;

pub async fn get(api: &Api, args: Get, quiet: bool) -> Result<()> {
    let at = args.key;
    if at.key.ends_with('/') || at.is_top() {
        return Err(Error::Usage(format!(
            "{at} is a folder: list it with homedir ls {at}"
        )));
    }
    let to_stdout = args.target.as_deref() == Some(Path::new("-"));
    let target = if to_stdout {
        None
    } else {
        Some(target_path(args.target.as_deref(), &at.key)?)
    };
    if args.no_clobber
        && let Some(path) = &target
        && path.exists()
    {
        return Err(Error::Precondition(format!(
            "{} exists (--no-clobber): nothing downloaded",
            path.display()
        )));
    }
    let reply = match api
        .call(Method::GET, routes::READ_FILE)
        .space(at.space)
        .query("key", &at.key)
        .about(&at.to_string())
        .send()
        .await
    {
        // `get photos` of the folder photos/: say so, as for `get photos/`.
        Err(Error::NotFound(_)) if is_folder(api, &at.with_key(format!("{}/", at.key))).await? => {
            return Err(Error::Usage(format!(
                "{at} is a folder: list it with homedir ls {at}/"
            )));
        }
        other => other?,
    };
    let mut sink = Sink::open(target.as_deref()).await?;
    let size = if reply.status == StatusCode::TEMPORARY_REDIRECT {
        let location = reply
            .header("location")
            .ok_or_else(|| Error::Service("a redirect without a Location".into()))?
            .to_owned();
        download(api, &location, &at.to_string(), &mut sink, quiet).await?
    } else {
        sink.write(&reply.body).await?;
        reply.body.len() as u64
    };
    sink.finish().await?;
    match target {
        Some(path) => emit(&[format!(
            "downloaded {at} to {} ({})",
            path.display(),
            bytes(size)
        )]),
        None => Ok(()),
    }
}

/// FILE as given; a directory gets the key's name; none: the key's name here. A
/// target ending in `/` must be a directory that exists, and a file's directory too.
fn target_path(target: Option<&Path>, key: &str) -> Result<PathBuf> {
    let path = match target {
        Some(dir) if dir.is_dir() => dir.join(base_name(key)),
        Some(dir) if dir.as_os_str().to_string_lossy().ends_with('/') => {
            return Err(Error::Usage(format!(
                "no directory {}: create it first, or give a file name",
                dir.display()
            )));
        }
        Some(file) => file.to_owned(),
        None => PathBuf::from(base_name(key)),
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(Error::Usage(format!(
            "no directory {} to write {} into",
            parent.display(),
            path.display()
        )));
    }
    Ok(path)
}

/// Streams a presigned GET into `sink`, with progress; returns the bytes written.
async fn download(api: &Api, url: &str, key: &str, sink: &mut Sink, quiet: bool) -> Result<u64> {
    let request = Request::builder()
        .method(Method::GET)
        .uri(url)
        .body(
            Empty::<Bytes>::new()
                .map_err(|never| match never {})
                .boxed(),
        )
        .map_err(|_| Error::Service("the download link is not a valid URL".into()))?;
    let response = api.send_unauthenticated(request, "S3").await?;
    match response.status() {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND => return Err(Error::NotFound(key.to_owned())),
        StatusCode::FORBIDDEN => {
            return Err(Error::Forbidden(
                "S3 refused the download link (it may have expired): try again".into(),
            ));
        }
        status => {
            return Err(Error::Unavailable(format!(
                "S3 answered the download with HTTP {}",
                status.as_u16()
            )));
        }
    }
    let total = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let progress = Progress::new(
        &format!("downloading {key}"),
        total.unwrap_or(0),
        quiet || total.is_none(),
    );
    let mut body = response.into_body();
    let mut written = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| network_error("S3", &e))?;
        if let Ok(data) = frame.into_data() {
            sink.write(&data).await?;
            written += data.len() as u64;
            progress.add(data.len() as u64);
        }
    }
    if total.is_some_and(|t| t != written) {
        return Err(Error::Unavailable(format!(
            "the download of {key} stopped early; try again"
        )));
    }
    progress.finish();
    Ok(written)
}

/// Standard output, or a temporary file beside the target renamed over it when
/// complete: an interrupted or failed download (even Ctrl-C, which drops this) never
/// leaves a truncated file under the name, nor the temporary file.
enum Sink {
    Stdout(tokio::io::Stdout),
    File {
        file: tokio::fs::File,
        tmp: PathBuf,
        path: PathBuf,
        renamed: bool,
    },
}

impl Sink {
    async fn open(path: Option<&Path>) -> Result<Sink> {
        let Some(path) = path else {
            return Ok(Sink::Stdout(tokio::io::stdout()));
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "download".into());
        let tmp = path.with_file_name(format!(".{name}.homedir-{}", std::process::id()));
        let file = tokio::fs::File::create(&tmp)
            .await
            .map_err(|e| Error::local("cannot write", path, e))?;
        Ok(Sink::File {
            file,
            tmp,
            path: path.to_owned(),
            renamed: false,
        })
    }

    async fn write(&mut self, data: &[u8]) -> Result<()> {
        match self {
            Sink::Stdout(out) => match out.write_all(data).await {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| Error::local("cannot write", "standard output", e)),
            },
            Sink::File { file, path, .. } => file
                .write_all(data)
                .await
                .map_err(|e| Error::local("cannot write", path.clone(), e)),
        }
    }

    async fn finish(&mut self) -> Result<()> {
        match self {
            Sink::Stdout(out) => match out.flush().await {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Error::local("cannot write", "standard output", e))
                }
                _ => Ok(()),
            },
            Sink::File {
                file,
                tmp,
                path,
                renamed,
            } => {
                let done = async {
                    file.flush().await?;
                    file.sync_all().await?;
                    tokio::fs::rename(&tmp, &path).await
                };
                done.await
                    .map_err(|e| Error::local("cannot write", path.clone(), e))?;
                *renamed = true;
                Ok(())
            }
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Sink::File {
            tmp,
            renamed: false,
            ..
        } = self
        {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
