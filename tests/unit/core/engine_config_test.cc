// configure's edits of the engines' files: copies of real ones (containerd 1.6's
// `containerd config default`, Debian's containers.conf, a daemon.json with other settings) give
// the reviewed outputs in tests/unit/data/engine-config, a second edit changes nothing, and
// files the edit cannot keep are refused.

#include <catch2/catch.hpp>

#include <string>

#include "shim/core/engine_config.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {

namespace {

EngineConfigRequest request(Engine engine, bool make_default = true) {
  EngineConfigRequest r;
  r.engine = engine;
  r.runtime_path = "/usr/local/bin/oci-harden";
  r.make_default = make_default;
  return r;
}

void check_golden(Engine engine, const std::string& in, const std::string& expected) {
  std::string text = test::data_file("engine-config/" + in);
  auto edit = edit_engine_config(text, in, request(engine));
  INFO((edit ? std::string() : edit.error().message));
  REQUIRE(edit);
  CHECK(edit->changed);
  CHECK(edit->text == test::data_file("engine-config/" + expected));
  auto again = edit_engine_config(edit->text, in, request(engine));
  REQUIRE(again);
  CHECK_FALSE(again->changed);
  CHECK(again->text == edit->text);
}

std::string refused(Engine engine, const std::string& text) {
  auto edit = edit_engine_config(text, "f", request(engine));
  REQUIRE_FALSE(edit);
  return edit.error().message;
}

}  // namespace

TEST_CASE("configure containerd: containerd 1.6's default config gets the runtime, annotations and default",
          "[configure]") {
  check_golden(Engine::kContainerd, "containerd-1.6-default.toml", "containerd-1.6-default.expected.toml");
}

TEST_CASE("configure podman: Debian's containers.conf gets engine.runtimes and engine.runtime", "[configure]") {
  check_golden(Engine::kPodman, "containers-debian.conf", "containers-debian.expected.conf");
}

TEST_CASE("configure docker: other settings kept, an old entry with runtimeArgs replaced by the path alone",
          "[configure]") {
  check_golden(Engine::kDocker, "daemon-extra.json", "daemon-extra.expected.json");
}

TEST_CASE("configure: without --default the engine's default runtime is left alone", "[configure]") {
  auto edit = edit_engine_config("{\"default-runtime\": \"runc\"}", "d", request(Engine::kDocker, false));
  REQUIRE(edit);
  CHECK(edit->text == "{\n  \"default-runtime\": \"runc\",\n  \"runtimes\": {\n    \"hardened\": {\n"
                      "      \"path\": \"/usr/local/bin/oci-harden\"\n    }\n  }\n}\n");
  auto podman = edit_engine_config("[engine]\nruntime = \"crun\"\n", "c", request(Engine::kPodman, false));
  REQUIRE(podman);
  CHECK(podman->text == "[engine]\nruntime = \"crun\"\n\n[engine.runtimes]\nhardened = [\"/usr/local/bin/oci-harden\"]\n");
}

TEST_CASE("configure containerd: existing annotations are kept and ours added once", "[configure]") {
  std::string text =
      "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.hardened]\n"
      "  pod_annotations = [\"io.kubernetes.cri.*\"]\n";
  auto edit = edit_engine_config(text, "c", request(Engine::kContainerd, false));
  REQUIRE(edit);
  CHECK(edit->text.find("  pod_annotations = [\"io.kubernetes.cri.*\", \"org.oci-harden.*\"]\n") != std::string::npos);
  CHECK(edit->text.find("container_annotations = [\"org.oci-harden.*\"]") != std::string::npos);
}

TEST_CASE("configure containerd: a disabled CRI plugin is warned about, the file still edited", "[configure]") {
  auto edit = edit_engine_config("version = 2\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n", "c",
                                 request(Engine::kContainerd));
  REQUIRE(edit);
  CHECK(edit->changed);
  REQUIRE(edit->warnings.size() == 1);
  CHECK(edit->warnings[0].find("c: disabled_plugins disables the CRI plugin") == 0);
  auto enabled = edit_engine_config("version = 2\ndisabled_plugins = []\n", "c", request(Engine::kContainerd));
  REQUIRE(enabled);
  CHECK(enabled->warnings.empty());
}

TEST_CASE("configure containerd: version 3 uses containerd 2's CRI runtime plugin", "[configure]") {
  auto edit = edit_engine_config("version = 3\n", "c", request(Engine::kContainerd));
  REQUIRE(edit);
  CHECK(edit->text ==
        "version = 3\n\n[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.hardened]\n"
        "runtime_type = \"io.containerd.runc.v2\"\npod_annotations = [\"org.oci-harden.*\"]\n"
        "container_annotations = [\"org.oci-harden.*\"]\n\n"
        "[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.hardened.options]\n"
        "BinaryName = \"/usr/local/bin/oci-harden\"\n\n"
        "[plugins.\"io.containerd.cri.v1.runtime\".containerd]\ndefault_runtime_name = \"hardened\"\n");
}

TEST_CASE("configure: files it cannot keep are refused, naming file, line and fault", "[configure]") {
  CHECK(refused(Engine::kContainerd, "[plugins.cri]\n").find("f: configuration version 1 (no version key) is not supported") == 0);
  CHECK(refused(Engine::kContainerd, "version = \"2\"\n").find("f: configuration version \"2\" is not supported") == 0);
  CHECK(refused(Engine::kContainerd, "version = 2\n[a\n") == "f:2: expected ']' to close the table header");
  CHECK(refused(Engine::kContainerd,
                "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.hardened]\noptions = {}\n")
            .find("on line 3 is a value, not a table") != std::string::npos);
  CHECK(refused(Engine::kContainerd,
                "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.hardened]\npod_annotations = \"x\"\n")
            .find("pod_annotations is not an array") != std::string::npos);
  CHECK(refused(Engine::kPodman, "[engine]\n[[engine.service_destinations]]\n").find("f:2: arrays of tables") == 0);
  CHECK(refused(Engine::kDocker, "{\"runtimes\": {").find("f:1: not valid JSON") == 0);
  CHECK(refused(Engine::kDocker, "{\n  \"a\": 1,\n  \"b\": x\n}\n").find("f:3: not valid JSON") == 0);
  CHECK(refused(Engine::kDocker, "[]") == "f: not a JSON object");
  CHECK(refused(Engine::kDocker, "{\"runtimes\": []}") == "f: \"runtimes\" is not an object");
  EngineConfigRequest bad = request(Engine::kDocker);
  bad.runtime_path = "oci-harden";
  CHECK_FALSE(edit_engine_config("{}", "f", bad));
  bad = request(Engine::kDocker);
  bad.runtime_name = "a b";
  CHECK_FALSE(edit_engine_config("{}", "f", bad));
}

TEST_CASE("configure: an empty or blank file is a new one", "[configure]") {
  auto docker = edit_engine_config(" \n", "d", request(Engine::kDocker));
  REQUIRE(docker);
  CHECK(docker->text.find("\"default-runtime\": \"hardened\"") != std::string::npos);
  auto podman = edit_engine_config("", "c", request(Engine::kPodman));
  REQUIRE(podman);
  CHECK(podman->text == "[engine]\nruntime = \"hardened\"\n\n[engine.runtimes]\nhardened = [\"/usr/local/bin/oci-harden\"]\n");
}

}  // namespace oci_harden
