// Package deploy holds how dialect runs on a real server: a Caddyfile and
// an nginx site file for serving it behind a reverse proxy (README,
// "Behind a reverse proxy"). It has no code; its tests run both proxies,
// from these very files, in front of `dialect serve` on loopback and
// drive sign-in, forms, clips and long resumable uploads through them
// (proxy_test.go). They install Debian's caddy and nginx-light when
// missing; with CI=true, failing to get them fails the tests. It also
// holds the systemd units (dialect.service, dialect-backup.service and
// .timer; README "Running under systemd"), which systemd_test.go checks
// with systemd-analyze verify.
package deploy
