//! `matrix FILE --shard K/N`: one deterministic part of a matrix, for one
//! CI job of N. The unit of a part is a group of implementations (one
//! implementation, or those sharing an endpoint, which must run one after
//! the other): every case of an implementation runs in the same job, so
//! that its column, its gate and its stale marking stay whole. Groups are
//! dealt out in the file's order, group g to part g mod N, so every job
//! computes the same split from the same file, and `matrix merge` puts
//! the parts back in the file's order.

use std::fmt;
use std::str::FromStr;

use super::error::ShardError;

use super::file::Entry;
use super::run::groups;

/// Part `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let wrong = || ShardError(text.to_string());
        let (index, count) = text.split_once('/').ok_or_else(wrong)?;
        let index: usize = index.trim().parse().map_err(|_| wrong())?;
        let count: usize = count.trim().parse().map_err(|_| wrong())?;
        if index == 0 || count == 0 || index > count {
            return Err(wrong());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The entries (by index, in the file's order) that part `shard` runs.
pub fn select(entries: &[Entry], shard: Shard) -> Vec<usize> {
    let mut chosen: Vec<usize> = groups(entries)
        .into_iter()
        .enumerate()
        .filter(|(at, _)| at % shard.count == shard.index - 1)
        .flat_map(|(_, group)| group)
        .collect();
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_what_is_not_k_of_n() {
        assert_eq!(
            "2/3".parse::<Shard>().ok(),
            Some(Shard { index: 2, count: 3 })
        );
        for wrong in ["0/2", "3/2", "1", "a/b", "1/0", ""] {
            let err = wrong.parse::<Shard>().expect_err(wrong).to_string();
            assert!(err.contains("K/N"), "{err}");
        }
    }
}
