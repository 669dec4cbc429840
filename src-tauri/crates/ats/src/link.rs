//! RFC 8288 `Link` headers: the URL of `rel="next"`.

pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=").is_some_and(|rel| {
                rel.trim_matches('"')
                    .split_whitespace()
                    .any(|r| r == "next")
            })
        });
        let url = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| url.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn finds_next_among_other_relations() {
        let header =
            r#"<https://h/v3/jobs?cursor=b>; rel="prev", <https://h/v3/jobs?cursor=c>; rel="next""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://h/v3/jobs?cursor=c")
        );
    }

    #[test]
    fn no_next_means_the_last_page() {
        assert_eq!(
            next_link(r#"<https://h/v3/jobs?page=1>; rel="first""#),
            None
        );
        assert_eq!(next_link(""), None);
    }
}
