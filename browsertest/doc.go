// Package browsertest proves the recorder page (GET /record, assets/) in a
// real headless Chromium driven by chromedp, against a real server on
// 127.0.0.1 over a real corpus, with a WAV file as the microphone. It has
// only tests; `make test` installs chromium first (make browser-deps).
//
// Without chromium on PATH the tests skip, or fail when CI=true.
// Screenshots go to $DIALECT_SCREENSHOTS, else to
// $TMPDIR/dialect-screenshots; the test log names the folder.
package browsertest
