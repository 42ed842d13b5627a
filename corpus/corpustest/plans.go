// Package corpustest holds test helpers for the corpus: recording the SQL
// statements a request path runs, and checking that none of them reads a
// table that grows with the corpus from end to end (issue 21: a request
// costs the same at a thousand clips and at a million), and seeding big
// corpora for benchmarks.
//
// The statements are recorded at the driver (corpus.Options.OnStatement),
// so a new statement on a path is checked without anyone listing it. The
// check asks the engine for the plan (corpus.DB.FullScans, EXPLAIN QUERY
// PLAN for SQLite); an engine added later (PostgreSQL, #11) answers the
// same question from its own EXPLAIN and runs the same paths.
package corpustest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Statement is one statement a path ran, with the arguments of its first
// run.
type Statement struct {
	Path  string
	Query string
	Args  []any
}

// Recorder collects the distinct statements of named paths. Pass Hook as
// corpus.Options.OnStatement, then name the path before driving it.
type Recorder struct {
	mu   sync.Mutex
	path string
	seen map[string]bool
	list []Statement
}

// Hook records a statement under the current path (none: not recorded).
func (r *Recorder) Hook(query string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.path == "" {
		return
	}
	key := r.path + "\x00" + query
	if r.seen[key] {
		return
	}
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	r.seen[key] = true
	r.list = append(r.list, Statement{Path: r.path, Query: query, Args: slices.Clone(args)})
}

// Path names the path the statements from now on belong to; "" stops
// recording.
func (r *Recorder) Path(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.path = name
}

// Statements returns what was recorded, path by path in the order first
// run.
func (r *Recorder) Statements() []Statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.list)
}

// SmallTables are the tables that stay small whatever the size of the
// corpus: a plan may read them whole. They are a project's settings and its
// prompts, the schema's own, and signin_links (the one-time sign-in links
// not yet taken: a link's row goes when it is used). Every other table
// grows with the clips, the speakers or time, and must be read by a key.
var SmallTables = []string{"projects", "prompts", "project_secrets", "signin_links", "migrations", "sqlite_schema", "sqlite_master"}

// Planner names the tables a statement's plan reads whole (corpus.DB does,
// for SQLite).
type Planner interface {
	FullScans(ctx context.Context, query string, args ...any) ([]string, error)
}

// CheckPlans fails tb for every statement whose plan reads a table whole
// that is not in SmallTables, and logs the statements it checked.
func CheckPlans(tb testing.TB, p Planner, stmts []Statement) {
	tb.Helper()
	for _, s := range stmts {
		scans, err := p.FullScans(context.Background(), s.Query, s.Args...)
		if err != nil {
			tb.Errorf("%s: %v", s.Path, err)
			continue
		}
		var growing []string
		for _, t := range scans {
			if !slices.Contains(SmallTables, t) {
				growing = append(growing, t)
			}
		}
		tb.Logf("%-8s %s", s.Path, oneLine(s.Query))
		if len(growing) > 0 {
			tb.Errorf("%s: reads %s whole:\n%s", s.Path, strings.Join(growing, ", "), oneLine(s.Query))
		}
	}
}

// Paths lists the paths of stmts, each once, in order.
func Paths(stmts []Statement) []string {
	var out []string
	for _, s := range stmts {
		if !slices.Contains(out, s.Path) {
			out = append(out, s.Path)
		}
	}
	return out
}

// oneLine folds a statement's whitespace, for the log.
func oneLine(q string) string { return strings.Join(strings.Fields(q), " ") }

// Count says how many statements each path ran, for a log line.
func Count(stmts []Statement) string {
	var b strings.Builder
	for _, p := range Paths(stmts) {
		n := 0
		for _, s := range stmts {
			if s.Path == p {
				n++
			}
		}
		fmt.Fprintf(&b, "%s %d; ", p, n)
	}
	return strings.TrimSuffix(b.String(), "; ")
}
