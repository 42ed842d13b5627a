package server

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
)

// getMyLedger is GET /api/v1/me/ledger: the speaker's balance and every
// entry (corpus/ledger.go says how amounts are computed).
func (s *Server) getMyLedger(c *gin.Context) {
	l, err := s.db.SpeakerLedger(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

// ledgerCSVHeader is the statement's first row.
var ledgerCSVHeader = []string{"entry_id", "created_at", "clip_id", "kind", "reverses", "duration_s",
	"rate_cents_per_minute", "amount_cents", "currency", "balance_cents", "decision_id", "hash"}

// getMyLedgerCSV is GET /api/v1/me/ledger.csv: the statement as a
// spreadsheet opens it, every cell that could start a formula neutralised.
func (s *Server) getMyLedgerCSV(c *gin.Context) {
	l, err := s.db.SpeakerLedger(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="ledger-`+time.Now().UTC().Format("20060102")+`.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write(ledgerCSVHeader)
	var bal int64
	for _, e := range l.Entries {
		bal += e.AmountCents
		rev := ""
		if e.Reverses != 0 {
			rev = strconv.FormatInt(e.Reverses, 10)
		}
		_ = w.Write(csvRow(
			strconv.FormatInt(e.ID, 10), e.CreatedAt.UTC().Format(time.RFC3339), e.ClipID, string(e.Kind), rev,
			fmt.Sprintf("%d.%03d", e.DurationMS/1000, e.DurationMS%1000), strconv.FormatInt(e.RateCentsPerMinute, 10),
			strconv.FormatInt(e.AmountCents, 10), e.Currency, strconv.FormatInt(bal, 10),
			strconv.FormatInt(e.DecisionID, 10), e.Hash))
	}
	w.Flush()
}

// plainNumber is a cell a spreadsheet reads as a number, never a formula.
var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// csvCell neutralises CSV injection (OWASP): a cell that starts with = + - @
// or a tab or carriage return gets a leading apostrophe, unless it is a
// plain number (a negative amount stays a number).
func csvCell(v string) string {
	if v == "" || plainNumber.MatchString(v) {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}

func csvRow(cells ...string) []string {
	for i, v := range cells {
		cells[i] = csvCell(v)
	}
	return cells
}

// ledgerSummary is the speaker page's view of the ledger.
type ledgerSummary struct {
	Balance  string // "12.34"
	Currency string
	Entries  int
}

func summarizeLedger(l *corpus.Ledger) *ledgerSummary {
	if l == nil {
		return nil
	}
	return &ledgerSummary{Balance: balanceText(l.BalanceCents), Currency: l.Currency, Entries: len(l.Entries)}
}

func balanceText(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
