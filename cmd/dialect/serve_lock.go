package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server"
)

// The parts of `dialect serve` that keep one server per data directory and
// decide whether the start-up banner carries an admin sign-in link
// (issue 10 items 1 and 2).
//
// Which commands take the data directory's lock: only serve. A server is
// the one process with background work over the corpus files — the group
// commit, in-memory locks on resumable uploads (two servers would both
// append to one upload's part file), the reconciler, release archives
// built on demand — so two on one directory would step on each other.
// The other commands that write (project create, user add, user link,
// token create, import prompts, release create, export) are one short
// SQLite transaction each (WAL, BEGIN IMMEDIATE, a busy timeout: SQLite
// orders them against the server's writes), or, for export, a temp file
// renamed into place with the same bytes the server would write; their
// start-up reconcile only moves files older than the grace period and
// re-checks each against the database first. They run beside a live
// server, which is how an operator uses them (`dialect user link` exists to
// be run while the server is up). audit only reads.

// lockDataDir takes the data directory's lock, or says who holds it.
func lockDataDir(dir string, log *slog.Logger) (*corpus.DirLock, error) {
	lock, err := corpus.LockDir(dir)
	var le *corpus.LockedError
	if errors.As(err, &le) {
		log.Error("refusing to start", "data_dir", le.Dir, "holder_pid", le.PID, "err", err.Error())
		pid := "pid unknown / pid 不明"
		if le.PID > 0 {
			pid = fmt.Sprintf("pid %d", le.PID)
		}
		return nil, fmt.Errorf("%w: stop it first, or give this server its own --data-dir\n"+
			"資料目錄 %s 正由另一個 dialect serve（%s）使用中：請先停止它，或為這個伺服器指定其他 --data-dir", le, le.Dir, pid)
	}
	return lock, err
}

// releaseLock lets the lock go when serve ends; a failure becomes serve's
// error unless it already has one.
func releaseLock(lock *corpus.DirLock, err *error) {
	if rerr := lock.Release(); rerr != nil && *err == nil {
		*err = fmt.Errorf("release the data directory lock: %w", rerr)
	}
}

// adminLink decides the start-up banner's admin link: a one-time link
// while no admin has ever signed in, and otherwise none — a link in a
// service log must not make its readers admins once the real admin is in.
// It is issued before the "serving" line is printed, so the link follows
// that line at once.
type adminLink struct {
	path     string // "/signin/once?token=...", "" when none is printed
	howToGet string // the command that makes one, when none is printed
}

func newAdminLink(ctx context.Context, db *corpus.DB, srv *server.Server, adminID int64) (adminLink, error) {
	signedIn, err := db.AdminHasSignedIn(ctx)
	if err != nil {
		return adminLink{}, err
	}
	if signedIn {
		u, err := db.User(ctx, adminID)
		if err != nil {
			return adminLink{}, err
		}
		return adminLink{howToGet: fmt.Sprintf("dialect user link %s --data-dir %s", u.Username, db.Dir())}, nil
	}
	path, err := srv.OneTimeSignIn(ctx, adminID, 24*time.Hour)
	return adminLink{path: path}, err
}

// print writes the banner's link line(s); base is the server's public
// address ("http://127.0.0.1:8080").
func (l adminLink) print(out *printer, base string) {
	if l.path == "" {
		out.printf("an admin has signed in before, so no sign-in link is printed; for a one-time link, run on this server: %s\n", l.howToGet)
		out.printf("管理員已登入過，因此不再顯示登入連結；如需一次性登入連結，請在本伺服器上執行：%s\n", l.howToGet)
		return
	}
	out.printf("one-time admin sign-in link (valid 24 h, until used; 一次性管理員登入連結，24 小時內有效，限用一次): %s%s\n", base, l.path)
}
