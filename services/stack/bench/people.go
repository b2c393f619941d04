package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/forward"
)

// people hands out addresses no report of the run has used, each alone
// in its IPv4 /24, so that every report is a distinct reporter that
// neither the per-address nor the per-network limits touch, as during a
// worldwide outage.
type people struct{ n atomic.Int64 }

// next is a new person's address.
func (p *people) next() netip.Addr {
	n := p.n.Add(1)
	net := n % (200 << 16) // 13 million /24s
	return netip.AddrFrom4([4]byte{byte(20 + net>>16), byte(net >> 8), byte(net), byte(1 + n%250)})
}

// reportRequest makes POST /api/v1/reports requests to host, each about
// one of services (in turn) from a new person, whose address the forward
// secret signs as the web would.
func reportRequest(host string, services []lapor.Service, ppl *people, signer *forward.Signer) func(i int64, buf []byte) []byte {
	return func(i int64, buf []byte) []byte {
		svc := &services[int(i%int64(len(services)))]
		return appendReport(buf, host, svc, svc.Indicators[int(i/int64(len(services)))%len(svc.Indicators)], ppl.next(), signer)
	}
}

// appendReport appends one report request from addr.
func appendReport(buf []byte, host string, svc *lapor.Service, symptom string, addr netip.Addr, signer *forward.Signer) []byte {
	var body [256]byte
	b := append(body[:0], `{"service":"`...)
	b = append(b, svc.Slug...)
	b = append(b, `","symptom":"`...)
	b = append(b, symptom...)
	b = append(b, `","platform":"web"}`...)
	h := http.Header{}
	signer.Set(h, addr)
	buf = append(buf, "POST /api/v1/reports HTTP/1.1\r\nHost: "...)
	buf = append(buf, host...)
	buf = append(buf, "\r\nUser-Agent: lapor-bench\r\nContent-Type: application/json\r\nContent-Length: "...)
	buf = strconv.AppendInt(buf, int64(len(b)), 10)
	buf = append(buf, "\r\n"+forward.AddrHeader+": "...)
	buf = append(buf, h.Get(forward.AddrHeader)...)
	buf = append(buf, "\r\n"+forward.SigHeader+": "...)
	buf = append(buf, h.Get(forward.SigHeader)...)
	buf = append(buf, "\r\n\r\n"...)
	return append(buf, b...)
}

// getRequest makes GET requests for path(i) to host, taking gzip as a
// browser does.
func getRequest(host string, path func(i int64) string) func(i int64, buf []byte) []byte {
	return func(i int64, buf []byte) []byte {
		buf = append(buf, "GET "...)
		buf = append(buf, path(i)...)
		buf = append(buf, " HTTP/1.1\r\nHost: "...)
		buf = append(buf, host...)
		return append(buf, "\r\nUser-Agent: lapor-bench\r\nAccept-Encoding: gzip\r\n\r\n"...)
	}
}

// redis connects to the stack's Redis.
func (r *runner) redis(ctx context.Context) (*goredis.Client, error) {
	rdb := goredis.NewClient(&goredis.Options{Addr: r.stack.RedisAddr(), PoolSize: 8})
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connect to Redis: %w", err)
	}
	return rdb, nil
}
