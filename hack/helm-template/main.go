// Command helm-template renders a Helm chart directory the way `helm template` does,
// with Go's text/template and sprig's function map, and prints the rendered objects as
// one JSON array. It exists so tests can check vnest's own renderer (crates/vnest-deploy)
// against the template engine Helm uses, without Helm: Helm cannot be downloaded here,
// but Go, sprig and yaml.v3 are Debian packages (hack/install-go-template.sh).
//
// Usage: helm-template -chart DIR -name RELEASE -namespace NS [-f values.yaml] [-service Helm]
//
// Supported: Chart.yaml, values.yaml deep-merged with the -f file (a null removes a
// key, as in Helm), .Release.{Name,Namespace,Service,IsInstall}, .Chart.{Name,Version,
// AppVersion}, every template of templates/ (files starting with _ and NOTES.txt only
// define), include, toYaml, sprig, missing keys render as empty.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "helm-template: "+format+"\n", args...)
	os.Exit(1)
}

func readYAML(path string) map[string]interface{} {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		fail("%s: %v", path, err)
	}
	return out
}

// merge overlays src on dst: maps merge key by key, anything else replaces, null deletes.
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			dst[k] = merge(dm, sm)
		} else {
			dst[k] = v
		}
	}
	return dst
}

func toYAML(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

var docSep = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

func main() {
	chart := flag.String("chart", "", "chart directory")
	name := flag.String("name", "", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	valuesFile := flag.String("f", "", "values file merged over the chart's values.yaml")
	service := flag.String("service", "Helm", ".Release.Service")
	flag.Parse()
	if *chart == "" || *name == "" {
		fail("-chart and -name are required")
	}
	meta := readYAML(filepath.Join(*chart, "Chart.yaml"))
	values := readYAML(filepath.Join(*chart, "values.yaml"))
	if *valuesFile != "" {
		values = merge(values, readYAML(*valuesFile))
	}
	str := func(k string) string { s, _ := meta[k].(string); return s }
	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": *name, "Namespace": *namespace, "Service": *service,
			"IsInstall": true, "IsUpgrade": false,
		},
		"Chart": map[string]interface{}{
			"Name": str("name"), "Version": str("version"), "AppVersion": str("appVersion"),
		},
	}

	files, err := filepath.Glob(filepath.Join(*chart, "templates", "*"))
	if err != nil {
		fail("%v", err)
	}
	sort.Strings(files)
	root := template.New("chart")
	funcs := sprig.TxtFuncMap()
	funcs["toYaml"] = toYAML
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	root.Funcs(funcs).Option("missingkey=zero")
	var rendered []string
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			fail("%v", err)
		}
		if _, err := root.New(filepath.Base(f)).Parse(string(text)); err != nil {
			fail("%v", err)
		}
		rendered = append(rendered, filepath.Base(f))
	}
	objects := []interface{}{}
	for _, f := range rendered {
		if strings.HasPrefix(f, "_") || f == "NOTES.txt" {
			continue
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, f, top); err != nil {
			fail("%v", err)
		}
		out := strings.ReplaceAll(buf.String(), "<no value>", "")
		for _, doc := range docSep.Split(out, -1) {
			var obj interface{}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				fail("%s: %v\n%s", f, err, doc)
			}
			if obj != nil {
				objects = append(objects, obj)
			}
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(objects); err != nil {
		fail("%v", err)
	}
}
