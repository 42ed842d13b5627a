package corpus

// Test hooks of the release code (compiled only with the tests).

// SetArchiveHook installs fn to be called with the bytes written so far
// while an archive is built (nil removes it).
func SetArchiveHook(fn func(written int64)) { archiveHook = fn }

// SetReleasePaging shrinks the batch of CreateRelease and the page of the
// archive writer, so tests cross page boundaries with a few clips.
func SetReleasePaging(batch, page int) (restore func()) {
	ob, op := releaseBatch, releasePage
	releaseBatch, releasePage = batch, page
	return func() { releaseBatch, releasePage = ob, op }
}

// SetReleaseLayout makes CreateRelease write releases of layout n, as the
// code before migration 0010 did with release.LayoutFlat.
func SetReleaseLayout(n int) (restore func()) {
	old := releaseLayout
	releaseLayout = n
	return func() { releaseLayout = old }
}
