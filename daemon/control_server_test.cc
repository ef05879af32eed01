#include "daemon/control_server.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "daemon/control_channel.h"

namespace csim::daemon {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

std::string temp_dir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/cs_" + name + "_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A handler like the daemon's: echo, fd passing, and a long conversation.
void handler(const json& request, ControlConnection& c) {
  const std::string op = request.value("op", "");
  if (op == "echo") {
    c.send({{"ok", true}, {"echo", request}});
  } else if (op == "write") {
    // Writes into the descriptor the client passed, like `csim exec` hands stdout over.
    auto fds = c.take_fds();
    if (fds.size() != 1) {
      c.reply_error("want 1 fd, got " + std::to_string(fds.size()));
    } else {
      std::string text = request.value("text", "");
      ssize_t n = write(fds[0], text.data(), text.size());
      close(fds[0]);
      c.send({{"ok", n == static_cast<ssize_t>(text.size())}});
    }
  } else if (op == "wait") {
    // Talks until the client sends "bye", the client goes away, or the server stops.
    c.send({{"ok", true}, {"waiting", true}});
    for (;;) {
      auto m = c.reader().next(milliseconds(100), &c.stopping_flag());
      if (!m.is_ok()) return;
      if (c.stopping()) {
        c.send({{"ok", true}, {"stopped", true}});
        return;
      }
      if (m->has_value() && (*m)->value("say", "") == "bye") {
        c.send({{"ok", true}, {"bye", true}});
        return;
      }
    }
  } else {
    c.reply_error("unknown op " + op);
  }
}

TEST(ControlServer, RequestReplyAndErrors) {
  const std::string path = temp_dir("rr") + "/control.sock";
  ControlServer server(path, handler);
  ASSERT_TRUE(server.start().is_ok());
  auto reply = call_control(path, {{"op", "echo"}, {"x", 1}}, std::chrono::seconds(5));
  ASSERT_TRUE(reply.is_ok()) << reply.status().message();
  EXPECT_EQ((*reply)["echo"]["x"], 1);
  auto bad = call_control(path, {{"op", "nope"}}, std::chrono::seconds(5));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(), "unknown op nope");
  server.stop();
  EXPECT_FALSE(std::filesystem::exists(path));
  auto gone = call_control(path, {{"op", "echo"}}, std::chrono::seconds(1));
  ASSERT_FALSE(gone.is_ok());
  EXPECT_EQ(gone.status().code(), core::Code::kNotFound);
}

TEST(ControlServer, StaleSocketFileIsReplaced) {
  const std::string path = temp_dir("stale") + "/control.sock";
  {
    ControlServer first(path, handler);
    ASSERT_TRUE(first.start().is_ok());
  }
  // A leftover file (as after kill -9) does not stop the next daemon.
  auto leftover = listen_unix(path);
  ASSERT_TRUE(leftover.is_ok());
  close(*leftover);
  ASSERT_TRUE(std::filesystem::exists(path));
  ControlServer second(path, handler);
  ASSERT_TRUE(second.start().is_ok());
  EXPECT_TRUE(call_control(path, {{"op", "echo"}}, std::chrono::seconds(5)).is_ok());
}

TEST(ControlServer, LongSocketPath) {
  std::string dir = temp_dir("long");
  while (dir.size() < 150) dir += "/abcdefghijklmnop";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/control.sock";
  ASSERT_GT(path.size(), 108u);
  ControlServer server(path, handler);
  auto st = server.start();
  ASSERT_TRUE(st.is_ok()) << st.message();
  EXPECT_TRUE(std::filesystem::exists(path));
  auto reply = call_control(path, {{"op", "echo"}, {"long", true}}, std::chrono::seconds(5));
  ASSERT_TRUE(reply.is_ok()) << reply.status().message();
  EXPECT_EQ((*reply)["echo"]["long"], true);
}

TEST(ControlServer, PassesDescriptors) {
  const std::string path = temp_dir("fds") + "/control.sock";
  ControlServer server(path, handler);
  ASSERT_TRUE(server.start().is_ok());
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  auto fd = connect_unix(path);
  ASSERT_TRUE(fd.is_ok());
  ASSERT_TRUE(send_message(*fd, {{"op", "write"}, {"text", "through the daemon\n"}}, {p[1]}).is_ok());
  close(p[1]);  // only the daemon's copy is left
  MessageReader reader(*fd);
  auto reply = reader.next(std::chrono::seconds(5));
  ASSERT_TRUE(reply.is_ok());
  ASSERT_TRUE(reply->has_value());
  EXPECT_TRUE((**reply).value("ok", false));
  char buf[64] = {};
  ssize_t n = read(p[0], buf, sizeof buf);  // EOF after the text: the daemon closed its copy
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), "through the daemon\n");
  EXPECT_EQ(read(p[0], buf, sizeof buf), 0);
  close(p[0]);
  close(*fd);
}

TEST(ControlServer, ConversationAndStopWhileTalking) {
  const std::string path = temp_dir("talk") + "/control.sock";
  ControlServer server(path, handler);
  ASSERT_TRUE(server.start().is_ok());
  // A conversation that ends normally.
  {
    auto fd = connect_unix(path);
    ASSERT_TRUE(fd.is_ok());
    ASSERT_TRUE(send_message(*fd, {{"op", "wait"}}).is_ok());
    MessageReader reader(*fd);
    auto first = reader.next(std::chrono::seconds(5));
    ASSERT_TRUE(first.is_ok() && first->has_value());
    EXPECT_TRUE((**first).value("waiting", false));
    // Nothing more yet: a zero wait returns at once with nothing.
    auto none = reader.next(milliseconds(0));
    ASSERT_TRUE(none.is_ok());
    EXPECT_FALSE(none->has_value());
    ASSERT_TRUE(send_message(*fd, {{"say", "bye"}}).is_ok());
    auto bye = reader.next(std::chrono::seconds(5));
    ASSERT_TRUE(bye.is_ok() && bye->has_value());
    EXPECT_TRUE((**bye).value("bye", false));
    auto closed = reader.next(std::chrono::seconds(5));
    ASSERT_FALSE(closed.is_ok());
    EXPECT_EQ(closed.status().message(), "connection closed");
    close(*fd);
  }
  // stop() while a handler is in a conversation: the handler is told and winds down.
  auto fd = connect_unix(path);
  ASSERT_TRUE(fd.is_ok());
  ASSERT_TRUE(send_message(*fd, {{"op", "wait"}}).is_ok());
  MessageReader reader(*fd);
  auto first = reader.next(std::chrono::seconds(5));
  ASSERT_TRUE(first.is_ok() && first->has_value());
  const auto t0 = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  auto stopped = reader.next(std::chrono::seconds(5));
  ASSERT_TRUE(stopped.is_ok() && stopped->has_value());
  EXPECT_TRUE((**stopped).value("stopped", false));
  close(*fd);
}

TEST(ControlServer, GarbageAndSilentClients) {
  const std::string path = temp_dir("garbage") + "/control.sock";
  ControlServer server(path, handler);
  ASSERT_TRUE(server.start().is_ok());
  auto fd = connect_unix(path);
  ASSERT_TRUE(fd.is_ok());
  const std::string junk = "this is not json\n";
  ASSERT_EQ(write(*fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  MessageReader reader(*fd);
  auto reply = reader.next(std::chrono::seconds(5));
  ASSERT_TRUE(reply.is_ok() && reply->has_value());
  EXPECT_FALSE((**reply).value("ok", true));
  EXPECT_NE((**reply).value("error", "").find("not a JSON object"), std::string::npos);
  close(*fd);
  // A client that connects and says nothing does not hold up stop().
  auto silent = connect_unix(path);
  ASSERT_TRUE(silent.is_ok());
  std::this_thread::sleep_for(milliseconds(50));
  const auto t0 = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  close(*silent);
}

}  // namespace
}  // namespace csim::daemon
