package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/hiretrack/hiretrack"
)

// maxURLLen is the maximum length of a webhook URL.
const maxURLLen = 2000

// resolveTimeout bounds the DNS lookup that checks a URL at registration.
const resolveTimeout = 5 * time.Second

// Policy decides which addresses webhooks may be sent to. The zero Policy
// allows public addresses only.
type Policy struct {
	// AllowPrivate also allows loopback, private (RFC 1918 and fc00::/7)
	// and shared (100.64.0.0/10) addresses, for development and for
	// receivers inside the operator's own network.
	AllowPrivate bool
}

// sharedSpace is the carrier-grade NAT range of RFC 6598, which netip does
// not count as private.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// alwaysBlocked are ranges that never host a webhook receiver: "this
// network", benchmarking and the reserved class E.
var alwaysBlocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

// CheckIP returns an error naming the address when the policy does not
// allow it. Link-local addresses, which include cloud metadata services at
// 169.254.169.254, multicast and unspecified addresses are never allowed.
func (p Policy) CheckIP(ip netip.Addr) error {
	ip = ip.Unmap()
	if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsUnspecified() || !ip.IsValid() {
		return fmt.Errorf("address %s is link-local, multicast or unspecified, which webhooks may never use", ip)
	}
	for _, prefix := range alwaysBlocked {
		if prefix.Contains(ip) {
			return fmt.Errorf("address %s is in the reserved range %s, which webhooks may never use", ip, prefix)
		}
	}

	internal := ip.IsLoopback() || ip.IsPrivate() || sharedSpace.Contains(ip)
	if internal && !p.AllowPrivate {
		return fmt.Errorf("address %s is loopback or private; the server allows only public addresses unless started with --webhook-allow-private", ip)
	}
	return nil
}

// CheckURL checks a webhook URL at registration: an absolute http or https
// URL without credentials, whose host resolves only to allowed addresses.
// It returns KindUnprocessable naming the field url.
func (p Policy) CheckURL(ctx context.Context, raw string) error {
	invalid := func(format string, args ...any) error {
		return hiretrack.FieldErrorf(hiretrack.KindUnprocessable, "url", "invalid_url", format, args...)
	}
	if len(raw) > maxURLLen {
		return invalid("url is %d characters long; the maximum is %d", len(raw), maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("url is %q; it must be an absolute http or https URL such as https://example.com/hooks", raw)
	}
	if u.User != nil {
		return invalid("url %q contains credentials; put none in the URL, and verify the webhook-signature header instead", raw)
	}

	ips, err := resolve(ctx, u.Hostname())
	if err != nil {
		return invalid("url %q: host %q does not resolve: %v", raw, u.Hostname(), err)
	}
	for _, ip := range ips {
		if err := p.CheckIP(ip); err != nil {
			return invalid("url %q is not allowed: host %s resolves to a disallowed address: %v", raw, u.Hostname(), err)
		}
	}
	return nil
}

// resolve returns the addresses of host, which may be an IP literal.
func resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// errBlocked marks a connection that the policy refused at dial time.
var errBlocked = errors.New("blocked by the webhook address policy")

// Client returns an HTTP client that sends webhooks: it checks each
// address it connects to against the policy, after DNS resolution, so a
// name that resolved to a public address at registration cannot lead to
// an internal one later. It uses no proxy and follows no redirects.
func (p Policy) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{
		Timeout: timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			addrPort, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: parse dial address %q: %v", errBlocked, address, err)
			}
			if err := p.CheckIP(addrPort.Addr()); err != nil {
				return fmt.Errorf("%w: %v", errBlocked, err)
			}
			return nil
		},
	}
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: timeout,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
