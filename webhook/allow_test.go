package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/webhook"
)

func TestPolicyCheckIP(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ip           string
		public       bool // allowed by the zero Policy
		allowPrivate bool // allowed with AllowPrivate
	}{
		{"93.184.215.14", true, true},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true, true},
		{"127.0.0.1", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"10.1.2.3", false, true},
		{"192.168.0.10", false, true},
		{"172.16.5.4", false, true},
		{"100.64.0.1", false, true},
		{"fd00::1", false, true},
		{"169.254.169.254", false, false},
		{"fe80::1", false, false},
		{"0.0.0.0", false, false},
		{"224.0.0.1", false, false},
		{"240.0.0.1", false, false},
	}
	for _, c := range cases {
		ip := netip.MustParseAddr(c.ip)
		require.Equal(t, c.public, webhook.Policy{}.CheckIP(ip) == nil, "public policy, %s", c.ip)
		require.Equal(t, c.allowPrivate, webhook.Policy{AllowPrivate: true}.CheckIP(ip) == nil, "private policy, %s", c.ip)
	}
}

func TestPolicyCheckURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, raw := range []string{"ftp://93.184.215.14/x", "/relative", "http://user:pw@93.184.215.14/", "http://127.0.0.1:8080/hook", "http://localhost/hook"} {
		err := webhook.Policy{}.CheckURL(ctx, raw)
		require.Error(t, err, raw)
		require.Equal(t, hiretrack.KindUnprocessable, hiretrack.ErrorKind(err), raw)
		require.Equal(t, "invalid_url", hiretrack.ErrorCode(err), raw)
	}
	require.NoError(t, webhook.Policy{}.CheckURL(ctx, "https://93.184.215.14/hooks"))
	require.NoError(t, webhook.Policy{AllowPrivate: true}.CheckURL(ctx, "http://localhost:8080/hook"))
}

// TestPolicyClientBlocksAtDial checks that the sending client refuses a
// loopback receiver at connection time, which is what stops a host name
// whose DNS later points inside the network.
func TestPolicyClientBlocksAtDial(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(receiver.Close)

	_, err := webhook.Policy{}.Client(2*time.Second).Post(receiver.URL, "application/json", nil)
	require.ErrorContains(t, err, "blocked by the webhook address policy")
	require.ErrorContains(t, err, "address 127.0.0.1 is loopback or private")
	require.Equal(t, int32(0), hits.Load())

	resp, err := webhook.Policy{AllowPrivate: true}.Client(2*time.Second).Post(receiver.URL, "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, int32(1), hits.Load())
}
