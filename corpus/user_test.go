package corpus_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
)

func TestDB_CreateUser(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		p := mustProject(t, db, "p")
		u := &corpus.User{Username: "阿明", Role: corpus.RoleSpeaker, ProjectID: p.ID, PasswordHash: "$argon2id$h"}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 || u.CreatedAt.IsZero() {
			t.Fatalf("ID=%d CreatedAt=%v, want both set", u.ID, u.CreatedAt)
		}
		got, err := db.User(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, u) {
			t.Fatalf("User=%+v, want %+v", got, u)
		}
		admin := &corpus.User{Username: "root", Role: corpus.RoleAdmin}
		if err := db.CreateUser(ctx, admin); err != nil {
			t.Fatalf("CreateUser(admin without project): %v", err)
		}
		MustAudit(t, db)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		mustUser(t, db, 0, "Alice", corpus.RoleAdmin)
		mustUser(t, db, 0, "émile", corpus.RoleAdmin)
		for _, name := range []string{"Alice", "alice", "ALICE", "Émile", "ÉMILE"} {
			err := db.CreateUser(ctx, &corpus.User{Username: name, Role: corpus.RoleAdmin})
			wantErr(t, err, corpus.ErrConflict)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		err := db.CreateUser(ctx, &corpus.User{Username: "x", Role: corpus.RoleSpeaker, ProjectID: 42})
		wantErr(t, err, corpus.ErrNotFound)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		for _, u := range []*corpus.User{
			{Username: "", Role: corpus.RoleAdmin},
			{Username: strings.Repeat("x", 65), Role: corpus.RoleAdmin},
			{Username: "a\r\nb", Role: corpus.RoleAdmin},
			{Username: "bob", Role: "king"},
		} {
			if err := db.CreateUser(ctx, u); err == nil {
				t.Errorf("CreateUser(%q, %q) = nil, want an error", u.Username, u.Role)
			}
		}
	})
}

func TestDB_UserByUsername(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	p := mustProject(t, db, "p")
	q := mustProject(t, db, "q")
	alice := mustUser(t, db, p.ID, "Alice", corpus.RoleSpeaker)
	bob := mustUser(t, db, q.ID, "bob", corpus.RoleSpeaker)
	t.Run("OK", func(t *testing.T) {
		got, err := db.UserByUsername(ctx, "aLiCe")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != alice.ID {
			t.Fatalf("ID=%d, want %d", got.ID, alice.ID)
		}
		us, err := db.Users(ctx, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(us) != 1 || us[0].ID != bob.ID {
			t.Fatalf("Users(q)=%v, want [bob]", us)
		}
		if us, _ = db.Users(ctx, 0); len(us) != 2 {
			t.Fatalf("len(Users(0))=%d, want 2", len(us))
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := db.UserByUsername(ctx, "carol")
		wantErr(t, err, corpus.ErrNotFound)
		_, err = db.User(ctx, 999)
		wantErr(t, err, corpus.ErrNotFound)
	})
}

func TestDB_UpdateUser(t *testing.T) {
	ctx := context.Background()
	clk := newClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	db := MustOpenDBAt(t, t.TempDir(), corpus.Options{Now: clk.Now})
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	id := f.speaker.ID
	session := func(b byte) []byte {
		h := bytes.Repeat([]byte{b}, 32)
		if err := db.CreateSession(ctx, &corpus.Session{TokenHash: h, UserID: id, CSRFToken: "c"}); err != nil {
			t.Fatal(err)
		}
		return h
	}
	t.Run("OK", func(t *testing.T) {
		if err := db.UpdateProfile(ctx, id, "Tainan", "30-39", "f"); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordConsent(ctx, id, 2); err != nil {
			t.Fatal(err)
		}
		u, err := db.User(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if u.DialectRegion != "Tainan" || u.AgeBand != "30-39" || u.Gender != "f" {
			t.Fatalf("profile = %q %q %q, want Tainan 30-39 f", u.DialectRegion, u.AgeBand, u.Gender)
		}
		if u.ConsentVersion != 2 || u.ConsentAt == nil || !u.ConsentAt.Equal(clk.Now()) {
			t.Fatalf("consent = %d at %v, want 2 at %v", u.ConsentVersion, u.ConsentAt, clk.Now())
		}

		h := session(1)
		if err := db.SetPassword(ctx, id, "$argon2id$new"); err != nil {
			t.Fatal(err)
		}
		if u, _ = db.User(ctx, id); u.PasswordHash != "$argon2id$new" {
			t.Fatalf("PasswordHash=%q, want the new one", u.PasswordHash)
		}
		_, err = db.SessionByHash(ctx, h)
		wantErr(t, err, corpus.ErrNotFound)

		h = session(2)
		if err := db.SetDisabled(ctx, id, true); err != nil {
			t.Fatal(err)
		}
		if u, _ = db.User(ctx, id); !u.Disabled {
			t.Fatal("Disabled=false, want true")
		}
		_, err = db.SessionByHash(ctx, h)
		wantErr(t, err, corpus.ErrNotFound)
		if err := db.SetDisabled(ctx, id, false); err != nil {
			t.Fatal(err)
		}
		if u, _ = db.User(ctx, id); u.Disabled {
			t.Fatal("Disabled=true, want false")
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		wantErr(t, db.UpdateProfile(ctx, 999, "", "", ""), corpus.ErrNotFound)
		wantErr(t, db.RecordConsent(ctx, 999, 1), corpus.ErrNotFound)
		wantErr(t, db.SetPassword(ctx, 999, "x"), corpus.ErrNotFound)
		wantErr(t, db.SetDisabled(ctx, 999, true), corpus.ErrNotFound)
	})
}
