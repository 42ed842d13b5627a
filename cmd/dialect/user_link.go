package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server"
)

// newUserLinkCmd is `dialect user link USERNAME` (spec/api.md): a one-time
// sign-in link for an existing account, printed on the server by whoever
// may run commands there. It is how an admin gets in once `dialect serve`
// has stopped printing links (an admin has signed in), and how someone who
// lost a password gets back in to set a new one.
func newUserLinkCmd(st streams) *cobra.Command {
	var valid time.Duration
	var baseURL string
	cmd := &cobra.Command{
		Use:   "link USERNAME [--valid 1h] [--base-url URL]",
		Short: "Print a one-time sign-in link for an existing account",
		Long: `Print a one-time sign-in link for an existing account. The link is stored
(hashed) in the corpus, so the running dialect serve accepts it; it works
once, until --valid has passed, and replaces the account's earlier link.
The account signs in without its password and can then set one.

The link starts with --base-url, by default the server's address from the
configuration (server.addr, https when server.tls is set): give the public
address when the server sits behind a proxy.`,
		Example: `  dialect user link admin
  dialect user link --valid 15m --base-url https://dialect.example.org admin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			username := args[0]
			if valid < time.Minute || valid > 7*24*time.Hour {
				return usageError{message: fmt.Sprintf("--valid %s: give between 1m and 168h", valid), hint: "dialect user link --valid 1h " + username}
			}
			cfg, err := loadConfig(cmd, dataFlags)
			if err != nil {
				return err
			}
			base, err := linkBase(cfg, baseURL)
			if err != nil {
				return usageError{message: err.Error(), hint: "--base-url https://dialect.example.org"}
			}
			db, err := corpus.Open(cmd.Context(), cfg.DataDir, corpus.Options{})
			if err != nil {
				return fmt.Errorf("open corpus %s: %w", cfg.DataDir, err)
			}
			defer closeCorpus(db, &err)
			u, err := db.UserByUsername(cmd.Context(), username)
			if errors.Is(err, corpus.ErrNotFound) {
				return usageError{message: fmt.Sprintf("no account %q / 找不到帳號 %q", username, username), hint: "dialect user add --role admin --username " + username}
			} else if err != nil {
				return err
			}
			if u.Disabled {
				return usageError{message: fmt.Sprintf("account %q is disabled / 帳號 %q 已停用", username, username), hint: "enable the account first"}
			}
			path, err := server.IssueSignInLink(cmd.Context(), db, u.ID, corpus.LinkCLI, valid)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintln(st.out, base+path); err != nil {
				return fmt.Errorf("a link for %s was made but could not be printed (run the command again): %w", u.Username, err)
			}
			until := time.Now().Add(valid).Format("2006-01-02 15:04 MST")
			if _, err := fmt.Fprintf(st.err, "one-time sign-in link for %s (%s): works once, until %s; it replaces any earlier link of the account\n"+
				"%s（%s）的一次性登入連結：限用一次，%s 前有效；此帳號先前的連結已失效\n",
				u.Username, u.Role, until, u.Username, u.Role, until); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&valid, "valid", time.Hour, "how long the link works if unused (1m to 168h)")
	cmd.Flags().StringVar(&baseURL, "base-url", "", "the server's public address (default: from server.addr and server.tls)")
	return cmd
}

// linkBase is what a printed link starts with: --base-url, else the
// configured address, https when the server serves TLS itself (its first
// ACME domain as the host, as serve prints it). An unspecified host
// (":8080", "0.0.0.0:8080") becomes 127.0.0.1: the command runs on the
// server.
func linkBase(cfg Config, baseURL string) (string, error) {
	if baseURL != "" {
		u, err := url.Parse(baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("--base-url %q: want http(s)://HOST[:PORT][/PATH]", baseURL)
		}
		return strings.TrimRight(baseURL, "/"), nil
	}
	host, port, err := net.SplitHostPort(cfg.Server.Addr)
	if err != nil {
		return "", fmt.Errorf("server.addr %q: %w", cfg.Server.Addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	tls := cfg.Server.TLS
	switch {
	case len(tls.ACMEDomains) > 0:
		if port == "443" {
			return "https://" + tls.ACMEDomains[0], nil
		}
		return "https://" + net.JoinHostPort(tls.ACMEDomains[0], port), nil
	case tls.CertFile != "":
		return "https://" + net.JoinHostPort(host, port), nil
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
