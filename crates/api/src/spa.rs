//! Serving the built web app, with client-side routes answered by `index.html` so a reload keeps the page.
use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

pub struct Spa {
    candidates: Vec<PathBuf>,
}

impl Spa {
    /// Looks in `configured`, else `web/dist` under the working directory, else `web` beside the binary. The
    /// directory is looked up per request, so a build finished after start is served without a restart.
    pub fn locate(configured: Option<PathBuf>) -> Self {
        let beside_binary = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|d| d.join("web")));
        let candidates: Vec<PathBuf> = match configured {
            Some(dir) => vec![dir],
            None => [PathBuf::from("web/dist")].into_iter().chain(beside_binary).collect(),
        };
        let spa = Self { candidates };
        match spa.dir() {
            Some(d) => tracing::info!(dir = %d.display(), "serving the web app"),
            None => tracing::info!("web app not built (npm --prefix web run build); serving the API only"),
        }
        spa
    }

    fn dir(&self) -> Option<&Path> {
        self.candidates
            .iter()
            .map(PathBuf::as_path)
            .find(|d| d.join("index.html").is_file())
    }

    pub async fn serve(&self, req: &HttpRequest) -> HttpResponse {
        let Some(dir) = self.dir() else {
            return HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(NOT_BUILT);
        };
        let requested = req.path().trim_start_matches('/');
        let asset = safe_join(dir, requested).filter(|p| p.is_file());
        // Vite names built assets by content hash, so they never change; index.html must always be revalidated.
        let (file, cache) = match asset {
            Some(path) if requested.starts_with("assets/") => (path, "public, max-age=31536000, immutable"),
            Some(path) => (path, "no-cache"),
            None => (dir.join("index.html"), "no-cache"),
        };
        match NamedFile::open_async(&file).await {
            Ok(named) => {
                let mut response = named.into_response(req);
                response
                    .headers_mut()
                    .insert(CACHE_CONTROL, HeaderValue::from_static(cache));
                response
            }
            Err(_) => HttpResponse::NotFound().finish(),
        }
    }
}

/// Refuses `..` and absolute components so a request cannot reach outside the web directory.
fn safe_join(dir: &Path, requested: &str) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    for part in requested.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p if p.contains('\\') || p.contains('\0') => return None,
            p => path.push(p),
        }
    }
    Some(path)
}

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Integration Hub</title></head>\
<body><h1>Integration Hub</h1><p>The API is running. The web app has not been built: run <code>npm --prefix web ci && \
npm --prefix web run build</code>.</p><p><a href=\"/api/docs/\">API documentation</a></p></body></html>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_escape_the_web_directory() {
        let dir = Path::new("/srv/web");
        assert_eq!(
            safe_join(dir, "assets/app.js"),
            Some(PathBuf::from("/srv/web/assets/app.js"))
        );
        assert_eq!(safe_join(dir, "../etc/passwd"), None);
        assert_eq!(safe_join(dir, "a/../../b"), None);
    }
}
