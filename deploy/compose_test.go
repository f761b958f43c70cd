// Package deploy holds what runs the portal outside `go run`: the proxy
// configuration, the replica-set initialisation and the image's health check.
// There is no Docker engine where the tests run, so this test reads
// docker-compose.yml, deploy/nginx.conf and the Dockerfile and checks that
// they describe the scale-out path of docs/scale-out.md; the part the portal
// plays (believing X-Real-IP only from the proxy) runs through the real app.
package deploy

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"cartera/portal/apptest"
	"cartera/portal/config"
	"cartera/portal/store/storetest"
	"cartera/portal/testtool"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// root is the repository, one level up from this package.
const root = ".."

type compose struct {
	Services map[string]service `yaml:"services"`
	Networks map[string]struct {
		Internal bool `yaml:"internal"`
		IPAM     struct {
			Config []struct {
				Subnet string `yaml:"subnet"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
}

type service struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Hostname    string            `yaml:"hostname"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Volumes  []string       `yaml:"volumes"`
	Ports    []string       `yaml:"ports"`
	Networks map[string]any `yaml:"-"`
	RawNets  yaml.Node      `yaml:"networks"`
	Restart  string         `yaml:"restart"`
}

// networks reads a service's networks, written as a list or as a map.
func (s service) networks(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	switch s.RawNets.Kind {
	case 0:
	case yaml.SequenceNode:
		var l []string
		if err := s.RawNets.Decode(&l); err != nil {
			t.Fatal(err)
		}
		for _, n := range l {
			out[n] = map[string]string{}
		}
	default:
		var m map[string]map[string]string
		if err := s.RawNets.Decode(&m); err != nil {
			t.Fatal(err)
		}
		for k, v := range m {
			if v == nil {
				v = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func load(t *testing.T) (compose, string) {
	t.Helper()
	raw := read(t, "docker-compose.yml")
	var c compose
	if err := yaml.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c, raw
}

// byImage lists the services whose image starts with prefix, sorted.
func (c compose) byImage(prefix string) []string {
	var out []string
	for n, s := range c.Services {
		if strings.HasPrefix(s.Image, prefix) && s.Build == nil {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// portals are the services built from this repository.
func (c compose) portals() []string {
	var out []string
	for n, s := range c.Services {
		if s.Build != nil {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

var interpolation = regexp.MustCompile(`^\$\{[A-Z][A-Z0-9_]*(:?[-?][^}]*)?\}$`)

// The replica set: every mongod runs with --replSet rs0, the init script
// initiates rs0 with exactly those members, and the portals wait for it.
func TestComposeMongoReplicaSet(t *testing.T) {
	c, _ := load(t)
	var members []string
	for _, n := range c.byImage("mongo:") {
		s := c.Services[n]
		if !slices.Contains(s.Command, "mongod") {
			continue
		}
		i := slices.Index(s.Command, "--replSet")
		if i < 0 || i+1 >= len(s.Command) || s.Command[i+1] != "rs0" {
			t.Errorf("%s: mongod without --replSet rs0: %v", n, s.Command)
		}
		if s.Healthcheck == nil {
			t.Errorf("%s has no healthcheck", n)
		}
		if len(s.Ports) > 0 {
			t.Errorf("%s publishes ports %v: MongoDB must stay on the internal network", n, s.Ports)
		}
		if !slices.ContainsFunc(s.Volumes, func(v string) bool { return strings.HasSuffix(v, ":/data/db") }) {
			t.Errorf("%s keeps its data in the container (no volume on /data/db)", n)
		}
		host := s.Hostname
		if host == "" {
			host = n
		}
		members = append(members, host+":27017")
	}
	if len(members) < 3 {
		t.Fatalf("replica set of %d members, want 3 (a majority survives one loss)", len(members))
	}
	init, ok := c.Services["mongo-init"]
	if !ok {
		t.Fatal("no mongo-init service initialises the replica set")
	}
	if !slices.Contains(init.Volumes, "./deploy/mongo-init.js:/mongo-init.js:ro") || !slices.Contains(init.Command, "/mongo-init.js") {
		t.Errorf("mongo-init does not run deploy/mongo-init.js: %v %v", init.Volumes, init.Command)
	}
	for _, m := range members {
		name := strings.TrimSuffix(m, ":27017")
		if init.DependsOn[name].Condition != "service_healthy" {
			t.Errorf("mongo-init does not wait for %s to be healthy", name)
		}
	}
	script := read(t, "deploy/mongo-init.js")
	if !strings.Contains(script, `rs.initiate({ _id: "rs0"`) || !strings.Contains(script, "NotYetInitialized") {
		t.Error("mongo-init.js does not initiate rs0 once (idempotently)")
	}
	var inScript []string
	for _, m := range regexp.MustCompile(`host: "([^"]+)"`).FindAllStringSubmatch(script, -1) {
		inScript = append(inScript, m[1])
	}
	sort.Strings(inScript)
	if !slices.Equal(inScript, members) {
		t.Errorf("rs.initiate members %v, compose mongod services %v", inScript, members)
	}
}

// Two portal replicas against the set, each healthy-checked and named, with
// the same secrets from the environment.
func TestComposePortalReplicas(t *testing.T) {
	c, _ := load(t)
	portals := c.portals()
	if len(portals) != 2 {
		t.Fatalf("portal replicas %v, want 2", portals)
	}
	var mongoHosts []string
	for _, n := range c.byImage("mongo:") {
		if slices.Contains(c.Services[n].Command, "mongod") {
			mongoHosts = append(mongoHosts, c.Services[n].Hostname+":27017")
		}
	}
	cfgSrc := read(t, "portal/config/config.go")
	hosts := map[string]bool{}
	for _, n := range portals {
		s := c.Services[n]
		env := s.Environment
		u, err := url.Parse(env["MONGODB_URI"])
		if err != nil || u.Scheme != "mongodb" {
			t.Fatalf("%s: MONGODB_URI %q", n, env["MONGODB_URI"])
		}
		if u.User != nil {
			t.Errorf("%s: credentials written into MONGODB_URI", n)
		}
		got := strings.Split(u.Host, ",")
		sort.Strings(got)
		if !slices.Equal(got, mongoHosts) {
			t.Errorf("%s: MONGODB_URI hosts %v, want the set's members %v", n, got, mongoHosts)
		}
		if u.Query().Get("replicaSet") != "rs0" {
			t.Errorf("%s: MONGODB_URI without replicaSet=rs0", n)
		}
		if s.DependsOn["mongo-init"].Condition != "service_completed_successfully" {
			t.Errorf("%s starts before the replica set is initialised", n)
		}
		if s.Healthcheck == nil || !slices.Contains(s.Healthcheck.Test, "/usr/local/bin/healthcheck") {
			t.Errorf("%s: no healthcheck through the image's healthcheck binary", n)
		}
		if s.Restart == "" || s.Restart == "no" {
			t.Errorf("%s is not restarted", n)
		}
		if !interpolation.MatchString(env["PORTAL_JWT_SECRET"]) || !strings.Contains(env["PORTAL_JWT_SECRET"], ":?") {
			t.Errorf("%s: PORTAL_JWT_SECRET must be a required variable, got %q", n, env["PORTAL_JWT_SECRET"])
		}
		if env["PORTAL_TRUSTED_PROXIES"] == "" {
			t.Errorf("%s: PORTAL_TRUSTED_PROXIES unset: the client address behind the proxy is lost", n)
		}
		// Job leases are held by hostname:pid and pid is 1 in each container.
		if s.Hostname == "" || hosts[s.Hostname] {
			t.Errorf("%s: hostname %q missing or shared: leases would not tell the replicas apart", n, s.Hostname)
		}
		hosts[s.Hostname] = true
		for k := range env {
			if !strings.Contains(cfgSrc, `"`+k+`"`) {
				t.Errorf("%s: %s is not read by portal/config", n, k)
			}
		}
		if len(s.Ports) > 0 {
			t.Errorf("%s publishes %v: only the proxy is reachable from outside", n, s.Ports)
		}
	}
	a, b := c.Services[portals[0]].Environment, c.Services[portals[1]].Environment
	for k, v := range a {
		if b[k] != v {
			t.Errorf("replicas differ on %s: %q vs %q", k, v, b[k])
		}
	}
}

// The proxy waits for both replicas, upstreams both without stickiness and
// sets X-Real-IP from a fixed address the portals trust.
func TestComposeProxy(t *testing.T) {
	c, _ := load(t)
	px, ok := c.Services["proxy"]
	if !ok || !strings.HasPrefix(px.Image, "nginx:") {
		t.Fatalf("no nginx proxy service: %+v", px)
	}
	portals := c.portals()
	for _, p := range portals {
		if px.DependsOn[p].Condition != "service_healthy" {
			t.Errorf("proxy does not wait for %s to be healthy", p)
		}
	}
	if px.Healthcheck == nil || len(px.Ports) != 1 {
		t.Errorf("proxy: healthcheck %v, ports %v", px.Healthcheck, px.Ports)
	}
	if !slices.Contains(px.Volumes, "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro") {
		t.Fatalf("proxy does not mount deploy/nginx.conf: %v", px.Volumes)
	}
	// Its address is fixed inside the front network, and it is the one the
	// portals trust.
	var proxyIP, proxyNet string
	for n, v := range px.networks(t) {
		if v["ipv4_address"] != "" {
			proxyIP, proxyNet = v["ipv4_address"], n
		}
	}
	ip := net.ParseIP(proxyIP)
	if ip == nil || len(c.Networks[proxyNet].IPAM.Config) == 0 {
		t.Fatalf("proxy has no fixed address on a network with a subnet (%q on %q)", proxyIP, proxyNet)
	}
	_, subnet, err := net.ParseCIDR(c.Networks[proxyNet].IPAM.Config[0].Subnet)
	if err != nil || !subnet.Contains(ip) {
		t.Fatalf("proxy address %s outside network %s", proxyIP, proxyNet)
	}
	for _, p := range portals {
		if got := c.Services[p].Environment["PORTAL_TRUSTED_PROXIES"]; got != proxyIP {
			t.Errorf("%s trusts %q, the proxy is %s", p, got, proxyIP)
		}
		if _, ok := c.Services[p].networks(t)[proxyNet]; !ok {
			t.Errorf("%s is not on the proxy's network %s", p, proxyNet)
		}
	}
	for n, s := range c.Services {
		if strings.HasPrefix(s.Image, "mongo:") {
			if _, ok := s.networks(t)[proxyNet]; ok {
				t.Errorf("%s shares the proxy's network", n)
			}
		}
	}

	conf := nginx(read(t, "deploy/nginx.conf"))
	ups := conf.blocks("upstream")
	if len(ups) != 1 {
		t.Fatalf("nginx.conf: %d upstream blocks, want 1", len(ups))
	}
	var servers []string
	for _, d := range ups[0].directives {
		switch d[0] {
		case "server":
			servers = append(servers, d[1])
		case "ip_hash", "hash", "sticky", "least_conn_sticky":
			t.Errorf("upstream is sticky (%s): sessions are stateless and must not need it", d[0])
		}
	}
	sort.Strings(servers)
	var want []string
	for _, p := range portals {
		_, port, _ := net.SplitHostPort(c.Services[p].Environment["PORTAL_ADDR"])
		want = append(want, c.Services[p].Hostname+":"+port)
	}
	if !slices.Equal(servers, want) {
		t.Errorf("upstream servers %v, want both replicas %v", servers, want)
	}
	all := conf.all()
	has := func(d ...string) bool {
		return slices.ContainsFunc(all, func(x []string) bool { return slices.Equal(x, d) })
	}
	if !has("proxy_set_header", "X-Real-IP", "$remote_addr") {
		t.Error("nginx does not set X-Real-IP to the client's address")
	}
	if !has("proxy_pass", "http://"+ups[0].args[0]) {
		t.Error("nginx does not proxy_pass to the upstream")
	}
	if !has("location", "/api/webhooks/") {
		t.Error("no webhook location (retry on the other replica)")
	}
	// Login guessing is bounded at the proxy, across replicas, with the
	// portal's own 429 shape.
	if !slices.ContainsFunc(all, func(d []string) bool { return d[0] == "limit_req_zone" && slices.Contains(d, "$binary_remote_addr") }) ||
		!has("location", "~", "^/api/(auth/login|debtor/login)(/|$)") || !has("limit_req_status", "429") ||
		!has("add_header", "Retry-After", "60", "always") {
		t.Error("nginx does not limit login attempts per address with a 429 and Retry-After")
	}
	if !has("client_max_body_size", "51m") {
		t.Error("client_max_body_size is not the upload limit (50 MB) plus the multipart overhead")
	}
}

// Nothing secret is written in the compose file: secrets are ${VARIABLES}
// documented in deploy/env.example.
func TestComposeHoldsNoSecrets(t *testing.T) {
	c, raw := load(t)
	secretKey := regexp.MustCompile(`SECRET|PASSWORD|TOKEN|_KEY|SMTP_URL|MESSAGING_URL`)
	for n, s := range c.Services {
		for k, v := range s.Environment {
			if secretKey.MatchString(k) && !interpolation.MatchString(v) {
				t.Errorf("%s: %s is written in the file (%q), not taken from the environment", n, k, v)
			}
		}
	}
	for _, re := range []string{`sk_(live|test)_`, `whsec_`, `rk_live_`, `://[^/\s:@]+:[^/\s@]+@`, `(?m)^\s*\w*(?i:password)\w*\s*[:=]\s*[^$\s{]`} {
		if m := regexp.MustCompile(re).FindString(raw); m != "" {
			t.Errorf("docker-compose.yml holds what looks like a secret: %q", m)
		}
	}
	example := read(t, "deploy/env.example")
	for _, m := range regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*)`).FindAllStringSubmatch(raw, -1) {
		if !regexp.MustCompile(`(?m)^` + m[1] + `=`).MatchString(example) {
			t.Errorf("%s is used by docker-compose.yml but not documented in deploy/env.example", m[1])
		}
	}
	if regexp.MustCompile(`(?m)^(PORTAL_JWT_SECRET|STRIPE_SECRET_KEY|STRIPE_WEBHOOK_SECRET|PORTAL_ADMIN_PASSWORD)=.+`).MatchString(example) {
		t.Error("deploy/env.example holds a value for a secret")
	}
}

// The image builds what the compose file runs.
func TestDockerfileMatchesCompose(t *testing.T) {
	c, _ := load(t)
	df := read(t, "Dockerfile")
	for _, want := range []string{"./cmd/portal", "./deploy/healthcheck", "/out/healthcheck", "/usr/local/bin/", `ENTRYPOINT ["/usr/local/bin/portal"]`, "CGO_ENABLED=0"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	for _, p := range c.portals() {
		_, port, _ := net.SplitHostPort(c.Services[p].Environment["PORTAL_ADDR"])
		if !strings.Contains(df, "EXPOSE "+port) {
			t.Errorf("Dockerfile does not expose %s's port %s", p, port)
		}
		if hc := c.Services[p].Healthcheck; hc != nil && !strings.Contains(strings.Join(hc.Test, " "), "127.0.0.1:"+port+"/readyz") {
			t.Errorf("%s healthcheck does not ask /readyz on its own port: %v", p, hc.Test)
		}
	}
	// The build context leaves out history, data and .env, and keeps what
	// the Dockerfile builds.
	ignore := strings.Fields(read(t, ".dockerignore"))
	for _, want := range []string{".git", ".env", "data"} {
		if !slices.Contains(ignore, want) {
			t.Errorf(".dockerignore does not leave out %s", want)
		}
	}
	for _, p := range ignore {
		if strings.HasPrefix(p, "cmd") || strings.HasPrefix(p, "deploy") || strings.HasPrefix(p, "portal") || p == "go.mod" || p == "go.sum" {
			t.Errorf(".dockerignore leaves out %s, which the image needs", p)
		}
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(read(t, "go.mod"))
	if goVersion == nil || !strings.Contains(df, "FROM golang:"+goVersion[1]) {
		t.Errorf("Dockerfile's Go image does not match go.mod's go %v", goVersion)
	}
	// Debian's docker-compose reads the file as Compose itself would.
	cmd := exec.Command(testtool.Bin(t, "docker-compose", "docker-compose", ""), "-f", filepath.Join(root, "docker-compose.yml"), "config", "-q")
	cmd.Env = append(os.Environ(), "PORTAL_JWT_SECRET="+strings.Repeat("x", 32))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("docker-compose config: %v\n%s", err, out)
	}
}

// The portal as configured in the compose file ignores X-Real-IP from
// anyone but the proxy; from a trusted proxy it audits the client's address.
// (Requests travel over loopback: the compose network's addresses do not
// exist here, so the trusted case uses a loopback address as the proxy.)
func TestTrustedProxyFromCompose(t *testing.T) {
	c, _ := load(t)
	trusted := c.Services[c.portals()[0]].Environment["PORTAL_TRUSTED_PROXIES"]
	for _, tc := range []struct {
		name, trusted, from, want string
	}{
		{"compose value, request not from the proxy", trusted, "127.0.0.1", "127.0.0.1"},
		{"request from a trusted proxy", "127.0.0.2", "127.0.0.2", "203.0.113.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := apptest.New(t, func(cfg *config.Config) { cfg.TrustedProxies = strings.Split(tc.trusted, ",") })
			base := e.Listen()
			cl := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
				LocalAddr: &net.TCPAddr{IP: net.ParseIP(tc.from)}}).DialContext}}
			req, _ := http.NewRequest("POST", base+"/api/auth/login", strings.NewReader(`{"email":"`+apptest.AdminEmail+`","password":"wrong-password-9"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Real-IP", "203.0.113.7")
			res, err := cl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 401 {
				t.Fatalf("failed login: %d", res.StatusCode)
			}
			entries, err := e.App.Audit.List(e.Ctx(), "", "login.failed", 10)
			if err != nil || len(entries) != 1 {
				t.Fatalf("login.failed entries %v %v", entries, err)
			}
			if entries[0].IP != tc.want {
				t.Fatalf("audited address %q, want %q", entries[0].IP, tc.want)
			}
		})
	}
}
