//! What every public page function (the school's and the reviewers') does around its routes.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use records::branding::Branding;

use crate::http::{self, cross_site};

/// What a public page function does around its routes: a POST another site's page sent is
/// refused (403) before any route sees it, so nothing changes; and its pages may show the
/// programme's logo.
pub async fn public_pages<F: Future<Output = Response<Body>>>(
    request: Request,
    site_origin: &str,
    branding: &Branding,
    answer: impl FnOnce(Request) -> F,
) -> Response<Body> {
    let response = if request.method() == Method::POST && cross_site(&request, site_origin) {
        tracing::warn!(
            path = request.uri().path(),
            "a cross-site form post was refused"
        );
        crate::pages::message(
            branding,
            StatusCode::FORBIDDEN,
            "This form could not be sent",
            vec![
                "It was sent from another website, so we have not acted on it. Open the page on this site and send the form from there.".into(),
            ],
            ("/", "Go to the start page"),
        )
    } else {
        answer(request).await
    };
    http::allowing_logo(response, branding)
}
