package corpus

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// Statement tracing and query plans, for the tests that keep each request's
// cost flat in the corpus's size (issue 21): a test opens the corpus with
// Options.OnStatement, drives requests, and asks FullScans of every
// statement they ran. Another engine (PostgreSQL, #11) answers FullScans
// from its own EXPLAIN; the statements and the checks stay the same.

// openSQL opens a pool on dsn, through a tracing connector when the corpus
// was opened with Options.OnStatement.
func (db *DB) openSQL(dsn string) *sql.DB {
	if db.onStatement == nil {
		// sql.Open only fails for an unknown driver name.
		d, _ := sql.Open("sqlite3", dsn)
		return d
	}
	return sql.OpenDB(&tracingConnector{dsn: dsn, hook: db.onStatement})
}

// tracingConnector opens SQLite connections that report each statement
// before running it.
type tracingConnector struct {
	dsn  string
	hook func(query string, args []any)
}

func (c *tracingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := (&sqlite3.SQLiteDriver{}).Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &tracingConn{SQLiteConn: conn.(*sqlite3.SQLiteConn), hook: c.hook}, nil
}

func (c *tracingConnector) Driver() driver.Driver { return &sqlite3.SQLiteDriver{} }

// tracingConn is an SQLite connection that reports statements. It has the
// same optional interfaces as the connection it wraps (database/sql looks
// them up on it), so the pool behaves the same with or without tracing.
type tracingConn struct {
	*sqlite3.SQLiteConn
	hook func(query string, args []any)
}

func (c *tracingConn) report(query string, args []driver.NamedValue) {
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a.Value
	}
	c.hook(query, vals)
}

func (c *tracingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.report(query, args)
	return c.SQLiteConn.ExecContext(ctx, query, args)
}

func (c *tracingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.report(query, args)
	return c.SQLiteConn.QueryContext(ctx, query, args)
}

func (c *tracingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.SQLiteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &tracingStmt{SQLiteStmt: st.(*sqlite3.SQLiteStmt), conn: c, query: query}, nil
}

// tracingStmt is a prepared statement that reports each run, with its
// arguments.
type tracingStmt struct {
	*sqlite3.SQLiteStmt
	conn  *tracingConn
	query string
}

func (s *tracingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.conn.report(s.query, args)
	return s.SQLiteStmt.ExecContext(ctx, args)
}

func (s *tracingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.conn.report(s.query, args)
	return s.SQLiteStmt.QueryContext(ctx, args)
}

// QueryPlan returns SQLite's plan of a statement (EXPLAIN QUERY PLAN, one
// detail line per step), without running it. It reads through the
// read-only pool; statements that write are planned, not executed.
func (db *DB) QueryPlan(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	var plan []string
	for rows.Next() {
		var (
			id, parent, unused int
			detail             string
		)
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, mapErr(err)
		}
		plan = append(plan, detail)
	}
	return plan, mapErr(rows.Err())
}

var (
	// scanStep is a plan step that reads a whole table or index: "SCAN t",
	// "SCAN t USING INDEX i", "SCAN t USING COVERING INDEX i". A search
	// ("SEARCH t USING ...") reads what a key selects.
	scanStep = regexp.MustCompile(`^SCAN ([A-Za-z_]\w*)`)
	// tableRef finds "FROM t", "JOIN t", "FROM t AS a", "JOIN t a" and
	// "UPDATE t", "INTO t", to name the table behind an alias.
	tableRef = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?`)
)

// sqlKeywords are the words that may follow a table name where an alias
// could stand.
var sqlKeywords = map[string]bool{
	"WHERE": true, "JOIN": true, "LEFT": true, "INNER": true, "CROSS": true, "ON": true, "GROUP": true,
	"ORDER": true, "LIMIT": true, "SET": true, "VALUES": true, "SELECT": true, "USING": true, "AND": true,
	"OR": true, "UNION": true, "HAVING": true, "DEFAULT": true, "NATURAL": true, "OUTER": true, "WINDOW": true,
	"RETURNING": true, "INDEXED": true, "NOT": true,
}

// FullScans returns the tables (by name, aliases resolved) that the plan of
// query reads whole: a SCAN step of a table or of one of its indexes. What
// is not a table (a subquery, a constant row, a table-valued function) is
// left out ("SCAN 5-ROW VALUES CLAUSE" is a multi-row VALUES). Statements
// without a plan (PRAGMA, SAVEPOINT) have none.
func (db *DB) FullScans(ctx context.Context, query string, args ...any) ([]string, error) {
	plan, err := db.QueryPlan(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("plan of %q: %w", query, err)
	}
	alias := map[string]string{}
	for _, m := range tableRef.FindAllStringSubmatch(query, -1) {
		alias[strings.ToLower(m[1])] = strings.ToLower(m[1])
		if m[2] != "" && !sqlKeywords[strings.ToUpper(m[2])] {
			alias[strings.ToLower(m[2])] = strings.ToLower(m[1])
		}
	}
	var out []string
	for _, step := range plan {
		m := scanStep.FindStringSubmatch(step)
		if m == nil || strings.Contains(step, "CONSTANT ROW") || strings.Contains(step, "VIRTUAL TABLE") ||
			strings.HasPrefix(m[1], "subquery") {
			continue
		}
		name := strings.ToLower(m[1])
		if t, ok := alias[name]; ok {
			name = t
		}
		out = append(out, name)
	}
	return out, nil
}
