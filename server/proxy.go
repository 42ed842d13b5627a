package server

// Who sent a request, and over what: the one place that decides
// (issue #17). Exposed directly, the socket's peer is the client and the
// connection's TLS is the scheme. Behind a reverse proxy listed in
// server.trusted_proxies, the proxy's headers say both; from anyone else
// the same headers are ignored, so a client cannot choose its own address
// (S-15) or claim HTTPS.
//
// Which header: X-Forwarded-For when present, else Forwarded (RFC 7239).
// Both sample proxies (deploy/) write X-Forwarded-For, overwriting what
// the client sent, while a Forwarded header from the client passes through
// them untouched unless removed (the samples remove it). A proxy that
// writes Forwarded instead must drop X-Forwarded-For.
//
// Which hop: the list is read from the right, skipping trusted proxies;
// the first untrusted address is the client (everything left of it was
// written by whoever the client is, and proves nothing). The scheme is
// X-Forwarded-Proto's (or the chosen Forwarded element's proto): the
// element that matches the chosen hop when there is one per hop, else the
// rightmost, which the proxy next to us wrote.
//
// gin's own ClientIP is never used: its trusted-proxy list stays empty
// (SetTrustedProxies(nil)), and TestClientSourceOfTruth keeps every other
// file from reading RemoteAddr, RemoteIP, ClientIP or r.TLS.

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gin-gonic/gin"
)

// clientInfo is what the server knows of a request's sender.
type clientInfo struct {
	// IP is the client: the socket's peer, or the address a trusted proxy
	// reports. Invalid when the peer's address cannot be parsed.
	IP netip.Addr
	// Peer is the socket's peer: the client itself, or a trusted proxy.
	Peer netip.Addr
	// HTTPS says the browser's connection is TLS: to us, or to the
	// trusted proxy that says so.
	HTTPS bool
	// Proxied says Peer is a trusted proxy.
	Proxied bool
}

// ParseTrustedProxies parses server.trusted_proxies: CIDRs ("10.0.0.0/8",
// "2001:db8::/32") or single addresses ("127.0.0.1", taken as /32 or
// /128). Blank entries are skipped.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("server.trusted_proxies: %q is neither a CIDR nor an address", s)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("server.trusted_proxies: %q is not a CIDR: %w", s, err)
		}
		if p.Addr().Is4In6() {
			// ::ffff:10.0.0.0/104 is 10.0.0.0/8: peers are unmapped.
			if p.Bits() < 96 {
				return nil, fmt.Errorf("server.trusted_proxies: %q mixes IPv4-mapped and IPv6 addresses", s)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// trusts reports whether a is one of the trusted proxies.
func (s *Server) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientOf says who sent r and whether the browser's connection is TLS.
// It is the only function that reads r.RemoteAddr, r.TLS and the
// forwarding headers.
func (s *Server) clientOf(r *http.Request) clientInfo {
	peer, _ := parseHop(r.RemoteAddr)
	ci := clientInfo{IP: peer, Peer: peer, HTTPS: r.TLS != nil}
	if !peer.IsValid() || !s.trusts(peer) {
		return ci
	}
	ci.Proxied = true
	h := r.Header
	xfp := splitList(h.Values("X-Forwarded-Proto"))
	var hops []string
	var protos []string // one per hop, "" where unknown
	if xff := splitList(h.Values("X-Forwarded-For")); len(xff) > 0 {
		hops = xff
		if len(xfp) == len(xff) {
			protos = xfp
		}
	} else if fwd := h.Values("Forwarded"); len(fwd) > 0 {
		for _, el := range parseForwarded(fwd) {
			hops = append(hops, el.forHop)
			protos = append(protos, el.proto)
		}
	}
	// Rightmost untrusted hop. An unparsable hop ("unknown", an obfuscated
	// name) ends the walk: the last good one stands.
	chosen := -1
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		ci.IP, chosen = a, i
		if !s.trusts(a) {
			break
		}
	}
	proto := ""
	switch {
	case chosen >= 0 && protos != nil && protos[chosen] != "":
		proto = protos[chosen]
	case len(xfp) > 0:
		proto = xfp[len(xfp)-1]
	}
	switch strings.ToLower(proto) {
	case "https":
		ci.HTTPS = true
	case "http":
		ci.HTTPS = false
	}
	return ci
}

// splitList splits comma-separated header values, trimmed, blanks dropped.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseHop reads one address as forwarding headers and RemoteAddr write
// it: "192.0.2.1", "192.0.2.1:443", "2001:db8::1", "[2001:db8::1]",
// "[2001:db8::1]:443". IPv4-mapped IPv6 becomes IPv4; zones are refused.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		if ap, err2 := netip.ParseAddrPort(s); err2 == nil {
			a, err = ap.Addr(), nil
		} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			a, err = netip.ParseAddr(s[1 : len(s)-1])
		}
	}
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// forwardedElement is one element of a Forwarded header: its for= and
// proto= parameters.
type forwardedElement struct{ forHop, proto string }

// parseForwarded parses Forwarded header values (RFC 7239 section 4):
// elements separated by commas, pairs by semicolons, values tokens or
// quoted strings. Parameters other than for and proto are ignored.
func parseForwarded(values []string) []forwardedElement {
	var out []forwardedElement
	for _, v := range values {
		var el forwardedElement
		var key, val strings.Builder
		inKey, quoted, escaped, seen := true, false, false, false
		flush := func() {
			k := strings.ToLower(strings.TrimSpace(key.String()))
			switch k {
			case "for":
				el.forHop = strings.TrimSpace(val.String())
			case "proto":
				el.proto = strings.TrimSpace(val.String())
			}
			if k != "" {
				seen = true
			}
			key.Reset()
			val.Reset()
			inKey = true
		}
		for _, r := range v {
			switch {
			case escaped:
				val.WriteRune(r)
				escaped = false
			case quoted && r == '\\':
				escaped = true
			case r == '"' && !inKey:
				quoted = !quoted
			case quoted:
				val.WriteRune(r)
			case r == '=' && inKey:
				inKey = false
			case r == ';':
				flush()
			case r == ',':
				flush()
				if seen {
					out = append(out, el)
				}
				el, seen = forwardedElement{}, false
			case inKey:
				key.WriteRune(r)
			default:
				val.WriteRune(r)
			}
		}
		flush()
		if seen {
			out = append(out, el)
		}
	}
	return out
}

// The gin context key of the request's clientInfo.
const clientKey = "dialect.client"

// identify records who sent the request, for every handler after it.
func (s *Server) identify(c *gin.Context) {
	c.Set(clientKey, s.clientOf(c.Request))
	c.Next()
}

// clientFrom is the request's clientInfo as identify found it. Without it
// (a handler outside the middleware chain) no proxy is trusted.
func clientFrom(c *gin.Context) clientInfo {
	if v, ok := c.Get(clientKey); ok {
		if ci, ok := v.(clientInfo); ok {
			return ci
		}
	}
	peer, _ := parseHop(c.Request.RemoteAddr)
	return clientInfo{IP: peer, Peer: peer, HTTPS: c.Request.TLS != nil}
}

// clientIP is the client's address for logs and limits: the socket's
// peer, or what a trusted proxy reports (S-15).
func clientIP(c *gin.Context) string {
	if ip := clientFrom(c).IP; ip.IsValid() {
		return ip.String()
	}
	return ""
}

// clientAddr is clientIP for code outside gin's chain (a plain
// http.Handler): the client's address as logs write it.
func (s *Server) clientAddr(r *http.Request) string {
	if ip := s.clientOf(r).IP; ip.IsValid() {
		return ip.String()
	}
	return ""
}

// secure reports whether the browser reached us over HTTPS (directly, or
// through a trusted proxy that says so), or the configuration says it
// always does (server.secure_cookies): session cookies are then Secure
// with the __Host- prefix, and responses carry HSTS.
func (s *Server) secure(r *http.Request) bool {
	return s.opts.SecureCookies || s.clientOf(r).HTTPS
}

// limitKey is the address a sign-in limit is kept for: an IPv4 address,
// or an IPv6 /64 (one subscriber's network: a host there can take any
// of 2^64 addresses at will).
func limitKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	if ip = ip.Unmap(); ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}
