// A net/http origin behind lti-edge: the Verify middleware, a page showing the user,
// and a grade posted through the worker. Env: WORKER_URL, AUDIENCE, PORT.
package main

import (
	"bytes"
	"html/template"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
)

var page = template.Must(template.New("home").Parse(`<!doctype html><title>Hello</title>
<h1>Hello, {{.User.Name}}</h1><p>Roles: {{range $i, $r := .User.Roles}}{{if $i}}, {{end}}{{$r}}{{end}}</p>
{{if .Services.Grades}}<form method="post" action="/grade"><button>Post 8/10</button></form>{{end}}`))

func main() {
	worker := strings.TrimSuffix(os.Getenv("WORKER_URL"), "/")
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, FromContext(r.Context()))
	})
	mux.HandleFunc("/grade", func(w http.ResponseWriter, r *http.Request) {
		score := `{"scoreGiven": 8, "scoreMaximum": 10, "activityProgress": "Completed", "gradingProgress": "FullyGraded"}`
		req, _ := http.NewRequest(http.MethodPost, worker+"/lti/services/scores", bytes.NewBufferString(score))
		req.Header.Set("Authorization", "Bearer "+FromContext(r.Context()).Token)
		req.Header.Set("Content-Type", "application/json")
		reply, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer reply.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(reply.StatusCode)
		io.Copy(w, reply.Body)
	})
	host, port := os.Getenv("HOST"), os.Getenv("PORT")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "8000"
	}
	handler := Verify(worker, os.Getenv("AUDIENCE"), mux)
	log.Fatal(http.ListenAndServe(host+":"+port, handler))
}
