// A `csim test` scenario, as read from its YAML file (docs/scenarios.md has the format):
// what to apply, what to delete, and which answer each request through the real data
// plane must get. Plain data: the parser (scenario/parser.h) fills it in, the dry run
// (scenario/check.h) and the runner (scenario/runner.h) read it. Every element keeps the
// file:line it came from, so every message can point at the scenario's line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kube/yaml_loader.h"
#include "semantics/route.h"

namespace csim::scenario {

// Where something was written: "testdata/scenarios/simple-fanout.yaml:9".
struct Location {
  std::string file;
  int line = 0;
  std::string str() const { return file + ":" + std::to_string(line); }
};

// One request sent from the external-client namespace.
struct Request {
  std::string ingress;        // the Ingress to address; "" = the scenario's only Ingress
  std::string host;           // Host header; "" = the address the request goes to
  std::string path = "/";     // request target (may carry a query string)
  std::string method = "GET";
  // Where to send it: "" = the Ingress's external IP, or its VIP when it has none; else
  // an IPv4 address that must be one of the Ingress's addresses.
  std::string address;
  // HTTPS to port 443 (TLS with SNI = the Host header without a port, no verification)
  // instead of HTTP to port 80.
  bool https = false;

  // "GET foo.bar.com/qa.html" ("GET /qa.html" without a host; "GET https://foo.bar.com/qa.html"
  // over HTTPS).
  std::string describe() const;
};

// What must come back. At least one field is set (the parser enforces it).
struct Response {
  std::optional<int> status;           // exact HTTP status; 200 when only `service` is given
  std::optional<std::string> service;  // the Service whose pod must answer
  bool unreachable = false;            // no HTTP answer at all (refused, no route, timeout)
  // HTTPS only: a DNS name the certificate the server presented must be issued to (its
  // subject CN or one of its subjectAltNames).
  std::optional<std::string> certificate;

  // "200 qa-webserver", "503", "200", "no answer", "200 qa-webserver (certificate foo.bar.com)".
  std::string describe() const;
  // True when a pod (a backend) must answer: status 200 or a service.
  bool wants_backend() const;
};

struct Expectation {
  Request request;
  Response response;
  int repeat = 1;  // sent this many times; every answer must be right
  Location where;
  std::string field;  // "steps[1].expect[0]"

  // "GET foo.bar.com/qa.html → 200 qa-webserver".
  std::string describe() const;
};

// One entry of an apply list: a file's objects or one inline manifest.
struct ApplyItem {
  Location where;
  std::string field;  // "apply[0]"
  std::string label;  // "file ../simple-fanout.yaml", "manifest Service/web"
  std::vector<kube::LoadedObject> objects;
};

// One entry of a delete list: a file's objects, or one object by kind and name.
struct DeleteItem {
  Location where;
  std::string field;  // "steps[0].delete[0]"
  std::string label;                        // "file ../x.yaml", "Ingress/simple-fanout"
  std::vector<kube::LoadedObject> objects;  // from `file`; empty otherwise
  std::string kind, name, ns;               // by name; ns "" = the scenario's namespace
};

struct Step {
  enum class Kind { kApply, kDelete, kExpect };
  Kind kind = Kind::kExpect;
  Location where;
  std::string field;  // "apply", "expect", "steps[2]"
  std::vector<ApplyItem> apply;
  std::vector<DeleteItem> del;
  std::vector<Expectation> expect;

  // "apply file ../simple-fanout.yaml, manifest Service/web", "delete Ingress/x", "expect (3)".
  std::string describe() const;
};

struct Scenario {
  std::string name;
  std::string description;
  std::optional<semantics::Semantics> semantics;  // none: contrail, unless overridden
  Location where;                                 // the file, line 1 (or the document's)
  // The top-level apply (if any), the top-level expect (if any), then `steps`, in order.
  std::vector<Step> steps;

  size_t expectation_count() const;
};

// The Kubernetes namespace a scenario runs in: "test-" + its name made a DNS label
// (lower case, runs of other characters as '-', at most 63 characters).
std::string namespace_for(const Scenario& scenario);

}  // namespace csim::scenario
