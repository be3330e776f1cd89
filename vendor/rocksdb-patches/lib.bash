# Shared by check-series and run-upstream-tests (sourced, not run). Reads the series in this
# directory and the vendored crate in vendor/librocksdb-sys; never writes to either.

SERIES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SERIES_DIR/../.." && pwd)
VENDOR_DIR=$REPO_ROOT/vendor/librocksdb-sys
DEFAULT_UPSTREAM_REPO=/work/.mirror/facebook+rocksdb/repo

die() {
    echo "error: $*" >&2
    exit 2
}

# The patches of the series, in the order they apply (0001-..., 0002-..., ...).
series_patches() {
    local p found=0
    for p in "$SERIES_DIR"/[0-9][0-9][0-9][0-9]-*.patch; do
        [ -e "$p" ] || continue
        found=1
        printf '%s\n' "$p"
    done
    [ "$found" = 1 ] || die "no NNNN-*.patch files in $SERIES_DIR"
}

# The vendored crate's version, e.g. 0.19.0+11.8.1, and the RocksDB tag it packages, v11.8.1.
crate_version() {
    sed -n 's/^version = "\(.*\)"$/\1/p' "$VENDOR_DIR/Cargo.toml" | head -n 1
}
default_tag() {
    local v
    v=$(crate_version)
    [ -n "$v" ] || die "no version in $VENDOR_DIR/Cargo.toml"
    echo "v${v#*+}"
}

# Files (relative to the RocksDB source root) that the given patches change.
touched_files() {
    sed -n 's#^+++ b/##p' "$@" | sort -u
}

# A fingerprint of the series (its patch files' contents), for stamps and results.
series_fingerprint() {
    local patches
    mapfile -t patches < <(series_patches)
    cat "${patches[@]}" | sha256sum | cut -c1-16
}

is_url() {
    case "$1" in
        *://* | git@*:*) return 0 ;;
        *) return 1 ;;
    esac
}

# export_upstream REPO TAG DEST [CLONE_DIR]: writes the tree of TAG into DEST (created, must not
# exist). REPO is a local git repository (bare or not) or a URL; a URL is cloned (the tag only,
# depth 1) into CLONE_DIR, reused if it is already there.
export_upstream() {
    local repo=$1 tag=$2 dest=$3 clone_dir=${4:-}
    local git_dir
    if is_url "$repo"; then
        [ -n "$clone_dir" ] || die "cloning $repo needs a clone directory"
        if ! git --git-dir="$clone_dir" rev-parse --verify -q "$tag^{commit}" >/dev/null 2>&1; then
            rm -rf "$clone_dir"
            echo "cloning $tag of $repo into $clone_dir"
            git clone -q --bare --depth 1 --branch "$tag" "$repo" "$clone_dir" ||
                die "could not clone tag $tag of $repo"
        fi
        git_dir=$clone_dir
    else
        [ -d "$repo" ] || die "no upstream RocksDB repository at $repo (give --repo PATH|URL)"
        git_dir=$(git -C "$repo" rev-parse --absolute-git-dir 2>/dev/null) ||
            die "$repo is not a git repository"
    fi
    git --git-dir="$git_dir" rev-parse --verify -q "$tag^{commit}" >/dev/null ||
        die "$git_dir has no $tag (fetch the tags: git -C $repo fetch --tags)"
    mkdir -p "$dest"
    git --git-dir="$git_dir" archive --format=tar "$tag" | tar -x -C "$dest" ||
        die "could not export $tag from $git_dir"
}

# apply_series DIR [PATCH...]: applies the patches (default: the whole series) in order with
# `patch -p1`, no fuzz, each checked with --dry-run first so that a patch that does not apply
# leaves the tree as the previous patches left it. Prints each patch's name and what patch(1)
# said when it was not silent (offsets: the patch applies, at other line numbers).
apply_series() {
    local dir=$1
    shift
    local patches=("$@") p out
    [ "${#patches[@]}" -gt 0 ] || mapfile -t patches < <(series_patches)
    for p in "${patches[@]}"; do
        if ! out=$(cd "$dir" && patch -p1 -F0 --forward --dry-run --no-backup-if-mismatch <"$p" 2>&1); then
            echo "FAILED: $(basename "$p") does not apply on top of the previous patches:" >&2
            printf '%s\n' "$out" | sed 's/^/    /' >&2
            return 1
        fi
        out=$(cd "$dir" && patch -p1 -F0 --forward --no-backup-if-mismatch <"$p" 2>&1) || {
            printf '%s\n' "$out" | sed 's/^/    /' >&2
            return 1
        }
        echo "applied $(basename "$p")"
        printf '%s\n' "$out" | grep -v '^patching file ' | sed 's/^/    /' || true
    done
}
