package apidoc

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// public are the packages whose exported names docs/DESIGN.md lists, by
// directory relative to the module root.
var public = []string{"pledge", "unveil", "promises", "report", "policy", "syscalls"}

// conventional are methods that implement a standard interface (error,
// fmt.Stringer, errors' Unwrap and Is, json.Marshaler); the listing may
// leave them out, since the type's line covers them.
var conventional = map[string]bool{"Error": true, "String": true, "Unwrap": true, "Is": true, "MarshalJSON": true}

const root = "../.."

// module is the import path prefix of the module's packages.
const module = "github.com/pledgekit/pledgekit/"

// exported returns the exported names a package declares in its non-test
// files of every platform: functions, types, constants, variables, and
// methods of exported types as Type.Method, including the methods of a
// type that is an alias of one in another package of the module (package
// unveil's types are internal/unveil's).
func exported(t *testing.T, dir string) (names, optional map[string]bool) {
	t.Helper()
	names, optional = map[string]bool{}, map[string]bool{}
	type alias struct{ name, dir, typ string }
	var aliases []alias
	files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name != filepath.Base(dir) {
			continue // a generator (package main, //go:build ignore)
		}
		imports := map[string]string{} // local name -> directory in the module
		for _, im := range f.Imports {
			path := strings.Trim(im.Path.Value, `"`)
			if rel, ok := strings.CutPrefix(path, module); ok && im.Name != nil {
				imports[im.Name.Name] = rel
			} else if ok {
				imports[filepath.Base(rel)] = rel
			}
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					names[d.Name.Name] = true
					continue
				}
				recv := receiver(d.Recv.List[0].Type)
				if !ast.IsExported(recv) {
					continue
				}
				if conventional[d.Name.Name] {
					optional[recv+"."+d.Name.Name] = true
				} else {
					names[recv+"."+d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							names[s.Name.Name] = true
						}
						if sel, ok := s.Type.(*ast.SelectorExpr); ok && s.Assign.IsValid() && s.Name.IsExported() {
							if pkg, ok := sel.X.(*ast.Ident); ok && imports[pkg.Name] != "" {
								aliases = append(aliases, alias{s.Name.Name, imports[pkg.Name], sel.Sel.Name})
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								names[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	for _, a := range aliases {
		theirs, theirsOptional := exported(t, a.dir)
		for n := range theirs {
			if m, ok := strings.CutPrefix(n, a.typ+"."); ok {
				names[a.name+"."+m] = true
			}
		}
		for n := range theirsOptional {
			if m, ok := strings.CutPrefix(n, a.typ+"."); ok {
				optional[a.name+"."+m] = true
			}
		}
	}
	return names, optional
}

// receiver returns the type name of a method receiver expression.
func receiver(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

var (
	heading = regexp.MustCompile("^### package `?([a-z]+)`?")
	entry   = regexp.MustCompile("^- ((?:`[^`]+`(?:, )?)+):")
	name    = regexp.MustCompile("`([^`]+)`")
	// sibling catches a description written for another package of the
	// module rather than for a user ("for package pledge", "used by
	// unveil").
	sibling = regexp.MustCompile(`(?i)\bfor package\b|\bused by (package )?(pledge|unveil|promises|report|policy|syscalls|filter|cmd)\b`)
)

// listed returns, per package, the names the "Public API" section of
// docs/DESIGN.md lists: under "### package x", lines of the form
// "- `Name`, `Type.Method`: what it is for".
func listed(t *testing.T) map[string]map[string]int {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "docs", "DESIGN.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]int{}
	in, pkg := false, ""
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "## "):
			in, pkg = l == "## Public API", ""
		case !in:
		case strings.HasPrefix(l, "### "):
			m := heading.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("DESIGN.md:%d: %q: want \"### package name\"", line, l)
				pkg = ""
				continue
			}
			pkg = m[1]
			out[pkg] = map[string]int{}
		case pkg != "" && strings.HasPrefix(l, "- "):
			m := entry.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("DESIGN.md:%d: %q: want \"- `Name`: what it is for\"", line, l)
				continue
			}
			if sibling.MatchString(l) {
				t.Errorf("DESIGN.md:%d: %q: say what the name is for a user, not which package uses it", line, l)
			}
			for _, n := range name.FindAllStringSubmatch(m[1], -1) {
				if prev, dup := out[pkg][n[1]]; dup {
					t.Errorf("DESIGN.md:%d: %s.%s listed again (first on line %d)", line, pkg, n[1], prev)
				}
				out[pkg][n[1]] = line
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !in && len(out) == 0 {
		t.Fatal(`docs/DESIGN.md has no "## Public API" section`)
	}
	return out
}

// TestPublicAPIListed: every exported name of the public packages is in
// docs/DESIGN.md's "Public API" section, and every name listed there
// exists.
func TestPublicAPIListed(t *testing.T) {
	doc := listed(t)
	for _, pkg := range public {
		names, optional := exported(t, pkg)
		if len(names) == 0 {
			t.Fatalf("package %s: no exported names found", pkg)
		}
		got, ok := doc[pkg]
		if !ok {
			t.Errorf("docs/DESIGN.md: no \"### package %s\" in the Public API section", pkg)
			continue
		}
		var missing, gone []string
		for n := range names {
			if _, ok := got[n]; !ok {
				missing = append(missing, n)
			}
		}
		for n := range got {
			if !names[n] && !optional[n] {
				gone = append(gone, n)
			}
		}
		slices.Sort(missing)
		slices.Sort(gone)
		for _, n := range missing {
			t.Errorf("package %s exports %s, which docs/DESIGN.md's Public API section does not list", pkg, n)
		}
		for _, n := range gone {
			t.Errorf("docs/DESIGN.md lists %s.%s, which package %s does not export", pkg, n, pkg)
		}
	}
	for pkg := range doc {
		if !slices.Contains(public, pkg) {
			t.Errorf("docs/DESIGN.md's Public API section lists package %s, which is not one of %v", pkg, public)
		}
	}
}
