package ui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

//go:embed assets
var assets embed.FS

// cookieName holds the token after the first visit.
const cookieName = "topo_token"

// Poll is how often a live view reads the kernel's interfaces (their
// state and counters): twice a second, so a link going up or down shows
// within a second. FullEvery is how often it reads the whole lab (the
// code of topo status: addresses, routes, drift) even when no interface
// changed: often enough that drift on a small lab shows within a
// second; on a large one a whole read costs far more, and a watched
// view waits fullFactor times its cost instead (see pollWatch).
const (
	Poll      = 500 * time.Millisecond
	FullEvery = 800 * time.Millisecond
)

// Options configure a Server.
type Options struct {
	// Backend reaches the machine.
	Backend Backend
	// ReadOnly refuses every action: viewing only.
	ReadOnly bool
	// Token is the secret every request needs; empty makes a random one.
	Token string
	// Poll overrides the live views' interval (0: Poll).
	Poll time.Duration
	// FullEvery overrides how often a live view reads the whole lab
	// even when no interface changed state (0: FullEvery).
	FullEvery time.Duration
}

// Server is the web view.
type Server struct {
	o        Options
	mux      *http.ServeMux
	mu       sync.Mutex
	captures map[string]*captureBuf
	order    []string
	feeds    map[string]*feed
}

// New makes a server.
func New(o Options) (*Server, error) {
	if o.Token == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		o.Token = hex.EncodeToString(b[:])
	}
	if o.Poll == 0 {
		o.Poll = Poll
	}
	if o.FullEvery == 0 {
		o.FullEvery = FullEvery
	}
	s := &Server{o: o, mux: http.NewServeMux(), captures: map[string]*captureBuf{}, feeds: map[string]*feed{}}
	static, _ := fs.Sub(assets, "assets")
	s.mux.HandleFunc("GET /{$}", s.index)
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /api/info", s.info)
	s.mux.HandleFunc("GET /api/labs/{lab}/graph", s.graph)
	s.mux.HandleFunc("GET /api/labs/{lab}/events", s.events)
	s.mux.HandleFunc("GET /api/labs/{lab}/nodes/{node}", s.node)
	s.mux.HandleFunc("POST /api/labs/{lab}/link", s.action(s.link))
	s.mux.HandleFunc("POST /api/labs/{lab}/impair", s.action(s.impair))
	s.mux.HandleFunc("POST /api/labs/{lab}/check", s.action(s.check))
	s.mux.HandleFunc("POST /api/labs/{lab}/ping", s.action(s.ping))
	s.mux.HandleFunc("GET /api/labs/{lab}/capture", s.capture)
	s.mux.HandleFunc("GET /api/captures/{id}", s.pcapng)
	return s, nil
}

// Token is the secret the URL carries.
func (s *Server) Token() string { return s.o.Token }

// URL is the address to open for a listener's address.
func (s *Server) URL(addr net.Addr) string {
	host := addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	return "http://" + host + "/?token=" + s.o.Token
}

// Serve serves on l until ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		hs.Close()
	}()
	err := hs.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ServeHTTP checks the token, then serves; a panic becomes a 500 with
// its reason, never a crash of topo ui.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			fail(w, http.StatusInternalServerError, fmt.Sprintf("internal error: %v (please report it)", v))
		}
	}()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
	if !s.authorized(w, r) {
		fail(w, http.StatusUnauthorized, "missing or wrong token: open the URL topo ui printed (it ends in ?token=...)")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// authorized checks the cookie or the ?token= of the first visit (then
// sets the cookie).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	ok := func(v string) bool { return subtle.ConstantTimeCompare([]byte(v), []byte(s.o.Token)) == 1 }
	if c, err := r.Cookie(cookieName); err == nil && ok(c.Value) {
		return true
	}
	if q := r.URL.Query().Get("token"); q != "" && ok(q) {
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.o.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return true
	}
	return false
}

// action wraps a handler that changes something: refused in read-only
// mode, from another origin, or without a JSON body.
func (s *Server) action(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.o.ReadOnly {
			fail(w, http.StatusForbidden, "read-only: topo ui was started with --read-only, so it shows the labs but changes nothing")
			return
		}
		if !sameOrigin(r) {
			fail(w, http.StatusForbidden, "cross-origin request refused: actions come only from topo ui's own page")
			return
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			fail(w, http.StatusUnsupportedMediaType, "send the request as application/json")
			return
		}
		h(w, r)
	}
}

// sameOrigin: the Origin header (or, without one, Sec-Fetch-Site) says
// the request comes from this server's own page.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		return o == "http://"+r.Host
	}
	return r.Header.Get("Sec-Fetch-Site") == "same-origin"
}

// fail answers with a status and a reason, as JSON.
func fail(w http.ResponseWriter, code int, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": reason})
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body of at most 64 KiB into v.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fail(w, http.StatusBadRequest, "bad request body: "+err.Error())
		return false
	}
	return true
}

// labName reads and checks the {lab} of the path.
func labName(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("lab")
	if !topology.ValidLabName(name) {
		fail(w, http.StatusBadRequest, fmt.Sprintf("%q is not a lab name", name))
		return "", false
	}
	return name, true
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("token") {
		// The cookie is set: drop the token from the address bar.
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	data, _ := assets.ReadFile("assets/index.html")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(data)
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	labs, err := s.o.Backend.Labs()
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	if labs == nil {
		labs = []string{}
	}
	reply(w, map[string]any{"readOnly": s.o.ReadOnly, "labs": labs})
}

func (s *Server) graph(w http.ResponseWriter, r *http.Request) {
	name, ok := labName(w, r)
	if !ok {
		return
	}
	g, err := s.o.Backend.Picture(r.Context(), name)
	if err != nil {
		fail(w, http.StatusNotFound, err.Error())
		return
	}
	reply(w, g)
}

func (s *Server) node(w http.ResponseWriter, r *http.Request) {
	name, ok := labName(w, r)
	if !ok {
		return
	}
	n, err := s.o.Backend.Node(r.Context(), name, r.PathValue("node"))
	if err != nil {
		fail(w, http.StatusNotFound, err.Error())
		return
	}
	reply(w, n)
}

func (s *Server) link(w http.ResponseWriter, r *http.Request) {
	name, ok := labName(w, r)
	if !ok {
		return
	}
	var req struct {
		Endpoint string `json:"endpoint"`
		State    string `json:"state"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.State != "up" && req.State != "down" {
		fail(w, http.StatusBadRequest, fmt.Sprintf("state %q: say up or down", req.State))
		return
	}
	if err := s.o.Backend.SetLink(r.Context(), name, req.Endpoint, req.State == "up"); err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	reply(w, map[string]string{"ok": req.Endpoint + " " + req.State})
}

func (s *Server) impair(w http.ResponseWriter, r *http.Request) {
	name, ok := labName(w, r)
	if !ok {
		return
	}
	var req ImpairRequest
	if !decode(w, r, &req) {
		return
	}
	if err := s.o.Backend.SetImpair(r.Context(), name, req.Endpoint, req); err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	reply(w, map[string]string{"ok": req.Endpoint})
}

func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	name, ok := labName(w, r)
	if !ok {
		return
	}
	failed, total, err := s.o.Backend.Check(r.Context(), name)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	reply(w, map[string]int{"failed": failed, "total": total})
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) {
	name, ok := labName(w, r)
	if !ok {
		return
	}
	var req struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.From == "" || req.To == "" {
		fail(w, http.StatusBadRequest, "ping needs from and to: click two nodes")
		return
	}
	res, err := s.o.Backend.Ping(r.Context(), name, req.From, req.To)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	reply(w, res)
}
