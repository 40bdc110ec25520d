//go:build linux

package ported

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"log"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// The pledges of yggdrasil-go at commit 422836e (June 2026), which calls
// suah.dev/protect v1.2.4's Pledge (unix.PledgePromises on OpenBSD):
//   - cmd/yggdrasil/main.go: once the admin socket and the listeners are
//     open, "stdio rpath cpath inet unix dns" ("mcast" added only with
//     multicast interfaces, none here).
//   - cmd/yggdrasilctl/main.go: "stdio rpath inet unix dns" first thing in
//     main; "stdio" once the admin connection is made.
const (
	yggNodePromises  = "stdio rpath cpath inet unix dns"
	yggCtlPromises   = "stdio rpath inet unix dns"
	yggCtlConnected  = "stdio"
	yggAdminEndpoint = "PLEDGEKIT_PORTED_YGG_ADMIN"
)

// adminRequest and adminResponse are the admin socket's JSON exchange
// (one object each way).
type adminRequest struct {
	Name      string            `json:"request"`
	Arguments map[string]string `json:"arguments,omitempty"`
}

type adminResponse struct {
	Status   string          `json:"status"`
	Request  adminRequest    `json:"request"`
	Response json.RawMessage `json:"response"`
}

// serveAdmin answers getSelf requests on ln until it is closed.
func serveAdmin(ln net.Listener, logger *log.Logger) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			var req adminRequest
			if err := json.NewDecoder(c).Decode(&req); err != nil {
				return
			}
			logger.Printf("admin request %q", req.Name)
			json.NewEncoder(c).Encode(adminResponse{Status: "success", Request: req,
				Response: json.RawMessage(`{"build_name":"yggdrasil","ip_address":"200::1"}`)})
		}()
	}
}

// adminCall sends one request on conn and returns the response.
func adminCall(conn net.Conn, name string) (*adminResponse, error) {
	if err := json.NewEncoder(conn).Encode(adminRequest{Name: name}); err != nil {
		return nil, err
	}
	var resp adminResponse
	err := json.NewDecoder(bufio.NewReader(conn)).Decode(&resp)
	return &resp, err
}

// The node: open the admin socket (a unix socket) and a peer listener on
// loopback, pledge, signal readiness on the notify descriptor, serve admin
// requests and peer connections, log with timestamps (log.Flags()), and on
// shutdown close the unix listener, which removes its file (cpath).
func TestYggdrasilNode(t *testing.T) {
	dir := t.TempDir()
	r := testproc.Run(t, "node", func() {
		logger := log.New(os.Stdout, "", log.Flags())
		sock := filepath.Join(dir, "yggdrasil.sock")
		admin, err := net.Listen("unix", sock)
		must("admin listen", err)
		peers, err := net.Listen("tcp", "127.0.0.1:0")
		must("peer listen", err)
		notifyR, notifyW, err := os.Pipe()
		must("pipe", err)

		must("PledgePromises", pledge.PledgePromises(yggNodePromises))

		notifyW.Write([]byte{'\n'})
		notifyW.Close()
		b := make([]byte, 1)
		_, err = notifyR.Read(b)
		must("read notify", err)
		go serveAdmin(admin, logger)
		go func() {
			c, err := peers.Accept()
			if err == nil {
				c.Write([]byte("meta"))
				c.Close()
			}
		}()

		c, err := net.Dial("tcp", peers.Addr().String())
		must("dial peer", err)
		got, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		say("peer said %s", got)
		conn, err := net.Dial("unix", sock)
		must("dial admin", err)
		resp, err := adminCall(conn, "getSelf")
		must("getSelf", err)
		conn.Close()
		say("admin %s", resp.Status)

		must("close admin socket", admin.Close())
		if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
			testproc.Fatalf("admin socket file after close: %v", err)
		}
		say("admin socket removed")
	})
	wantOK(t, r, "peer said meta", "admin success", "admin socket removed")
	if !bytes.Contains([]byte(r.Stdout), []byte(`admin request "getSelf"`)) {
		t.Fatalf("no timestamped admin log line\n%s", r)
	}
}

// yggdrasilctl getSelf against an admin socket this test serves:
// pledge, read the default configuration for AdminListen, log to a buffer
// with timestamps, connect, narrow to "stdio", exchange the request and
// print the answer.
func TestYggdrasilctl(t *testing.T) {
	sock, conf := yggAdmin(t)
	r := testproc.Run(t, "ctl", func() {
		must("PledgePromises", pledge.PledgePromises(yggCtlPromises))
		var logbuf bytes.Buffer
		logger := log.New(&logbuf, "", log.Flags())
		cfg, err := os.ReadFile(conf)
		must("read config", err)
		var dat map[string]any
		must("parse config", json.Unmarshal(cfg, &dat))
		endpoint, _ := dat["AdminListen"].(string)
		logger.Println("Using endpoint", endpoint, "from AdminListen")
		conn, err := net.Dial("unix", endpoint[len("unix://"):])
		must("dial admin", err)

		must("PledgePromises", pledge.PledgePromises(yggCtlConnected))

		logger.Println("Connected")
		resp, err := adminCall(conn, "getSelf")
		must("getSelf", err)
		logger.Printf("Request sent")
		var self map[string]string
		must("decode", json.Unmarshal(resp.Response, &self))
		say("IPv6 address: %s", self["ip_address"])
		os.Stdout.Write(logbuf.Bytes())
	}, testproc.WithEnv(yggAdminEndpoint+"="+sock))
	wantOK(t, r, "IPv6 address: 200::1")
	if !bytes.Contains([]byte(r.Stdout), []byte("Connected\n")) {
		t.Fatalf("no log line after the narrowing\n%s", r)
	}
}

// After yggdrasilctl's narrowing to "stdio", opening a new connection
// ends the process, and the message names the call and the promises that
// would allow it (issue #15: not a bare SIGSYS traceback).
func TestYggdrasilctlDenied(t *testing.T) {
	sock, _ := yggAdmin(t)
	r := testproc.Run(t, "redial", func() {
		must("PledgePromises", pledge.PledgePromises(yggCtlPromises))
		conn, err := net.Dial("unix", sock)
		must("dial admin", err)
		defer conn.Close()
		must("PledgePromises", pledge.PledgePromises(yggCtlConnected))
		net.Dial("unix", sock)
		say("not reached")
	}, testproc.WithEnv(yggAdminEndpoint+"="+sock))
	wantKilled(t, r, "socket(AF_UNIX", `"unix"`)
}

// yggAdmin serves an admin socket from the test process (the running
// node yggdrasilctl talks to) and writes a configuration naming it. In the
// scenario process it only returns the socket path the parent passed.
func yggAdmin(t *testing.T) (sock, conf string) {
	if testproc.InChild() {
		sock = os.Getenv(yggAdminEndpoint)
		return sock, filepath.Join(filepath.Dir(sock), "yggdrasil.conf")
	}
	dir := t.TempDir()
	sock = filepath.Join(dir, "yggdrasil.sock")
	conf = filepath.Join(dir, "yggdrasil.conf")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go serveAdmin(ln, log.New(os.Stderr, "node: ", 0))
	if err := os.WriteFile(conf, []byte(`{"AdminListen": "unix://`+sock+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return sock, conf
}
