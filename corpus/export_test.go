package corpus

import (
	"context"
	"os"
	"path/filepath"
	"time"
)

// Test hooks: export_test.go is compiled only with the tests, so the
// black-box tests in corpus_test can reach these without widening the API.

// WriterPragmas reads synchronous, journal_mode, busy_timeout and
// foreign_keys from the writer connection itself.
func (db *DB) WriterPragmas(ctx context.Context) (synchronous int, journalMode string, busyTimeout, foreignKeys int, err error) {
	return db.pragmas(ctx)
}

// WriterDSN is the writer DSN of the corpus in dir, for tests that tamper
// with the database through their own connection.
func WriterDSN(dir string) string { return writerDSN(filepath.Join(dir, dbName)) }

// SetBusyTimeoutMS replaces the busy timeout for corpora opened afterwards
// and returns a function restoring it.
func SetBusyTimeoutMS(ms int) (restore func()) {
	old := busyTimeoutMS
	busyTimeoutMS = ms
	return func() { busyTimeoutMS = old }
}

// DecisionHash exposes the chain's hash function.
var DecisionHash = decisionHash

// SetClosePart replaces how AppendResumable closes the part file it wrote
// and returns a function restoring it.
func SetClosePart(fn func(*os.File) error) (restore func()) {
	old := closePart
	closePart = fn
	return func() { closePart = old }
}

// MigrateAs does what Open does to the database in dir up to its
// migrations, as the binary whose newest migration is version would: it
// creates the corpus at that schema, or migrates it to that version, or
// refuses it as newer (upgrade tests build old corpora with it).
func MigrateAs(ctx context.Context, dir string, version int) (err error) {
	db := &DB{dir: dir, now: time.Now, grace: defaultGrace, schemaMax: version}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	if err := db.openFiles(true); err != nil {
		return err
	}
	return db.openWriter(ctx)
}
