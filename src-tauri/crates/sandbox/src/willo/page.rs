//! DRF page-number pagination: `{count, next, previous, results}` with `page` and `page_size`.

use serde::{Deserialize, Serialize};
use url::Url;

use super::errors::ApiError;

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub page: Option<String>,
    pub page_size: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Paginated<T> {
    pub count: usize,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// Cuts one page out of `items`. `request_url` is the full URL the client asked for; `next` and
/// `previous` are built from it with only `page` changed.
pub fn paginate<T>(
    items: Vec<T>,
    query: &PageQuery,
    request_url: &Url,
) -> Result<Paginated<T>, ApiError> {
    let size = match query.page_size.as_deref() {
        None => DEFAULT_PAGE_SIZE,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .map_or(DEFAULT_PAGE_SIZE, |n| n.min(MAX_PAGE_SIZE)),
    };
    let page = match query.page.as_deref() {
        None => 1,
        Some("last") => items.len().div_ceil(size).max(1),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(invalid_page)?,
    };
    let count = items.len();
    let pages = count.div_ceil(size).max(1);
    if page > pages {
        return Err(invalid_page());
    }
    let link = |n: usize| {
        let mut url = request_url.clone();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(pairs)
            .append_pair("page", &n.to_string());
        url.to_string()
    };
    let results = items
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    Ok(Paginated {
        count,
        next: (page < pages).then(|| link(page + 1)),
        previous: (page > 1).then(|| link(page - 1)),
        results,
    })
}

fn invalid_page() -> ApiError {
    ApiError::Detail(axum::http::StatusCode::NOT_FOUND, "Invalid page.".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("http://h/api/participants/?interview=abc").unwrap()
    }

    #[test]
    fn pages_link_forward_and_back_and_keep_filters() {
        let q = PageQuery {
            page: Some("2".into()),
            page_size: Some("2".into()),
        };
        let page = paginate((1..=5).collect(), &q, &url()).unwrap();
        assert_eq!(page.count, 5);
        assert_eq!(page.results, vec![3, 4]);
        assert_eq!(
            page.next.as_deref(),
            Some("http://h/api/participants/?interview=abc&page=3")
        );
        assert_eq!(
            page.previous.as_deref(),
            Some("http://h/api/participants/?interview=abc&page=1")
        );
    }

    #[test]
    fn a_page_past_the_end_is_invalid() {
        let q = PageQuery {
            page: Some("9".into()),
            page_size: None,
        };
        assert!(paginate(vec![1, 2], &q, &url()).is_err());
    }

    #[test]
    fn an_empty_list_has_one_empty_page() {
        let q = PageQuery {
            page: None,
            page_size: None,
        };
        let page = paginate(Vec::<u8>::new(), &q, &url()).unwrap();
        assert_eq!((page.count, page.next, page.previous), (0, None, None));
    }
}
