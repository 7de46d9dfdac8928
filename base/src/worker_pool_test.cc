#include "dala/base/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace dala {
namespace {

TEST(WorkerPoolTest, EveryIndexIsProcessedExactlyOnce) {
  for (unsigned threads : {0u, 1u, 3u}) {
    WorkerPool pool(threads);
    for (size_t n : {0u, 1u, 7u, 1000u}) {
      std::vector<std::atomic<int>> hits(n);
      auto job = pool.Start(n, 16, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) hits[i].fetch_add(1);
      });
      ASSERT_TRUE(job->Finish().ok());
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "threads " << threads << " n " << n << " i " << i;
    }
  }
}

TEST(WorkerPoolTest, WaitForInOrderSeesEveryResultBeforeTheJobEnds) {
  WorkerPool pool(2);
  const size_t n = 5000;
  std::vector<uint64_t> out(n, 0);
  auto job = pool.Start(n, 7, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) out[i] = i * i + 1;
  });
  for (size_t i = 0; i < n; ++i) {
    job->WaitFor(i);
    ASSERT_EQ(out[i], i * i + 1) << i;
  }
  EXPECT_TRUE(job->Finish().ok());
}

TEST(WorkerPoolTest, AJobWithoutWorkersRunsOnItsOwnersThread) {
  WorkerPool pool(0);
  std::thread::id owner = std::this_thread::get_id();
  bool elsewhere = false;
  auto job = pool.Start(100, 10, [&](size_t, size_t) { elsewhere |= std::this_thread::get_id() != owner; });
  job->WaitFor(55);
  ASSERT_TRUE(job->Finish().ok());
  EXPECT_FALSE(elsewhere);
}

TEST(WorkerPoolTest, AnExceptionInABodyBecomesAnInternalFailureNotACrash) {
  WorkerPool pool(2);
  std::atomic<int> ran{0};
  auto job = pool.Start(100, 1, [&](size_t b, size_t) {
    ran.fetch_add(1);
    if (b == 42) throw std::runtime_error("boom at 42");
  });
  Status s = job->Finish();
  EXPECT_EQ(s.code(), Status::Code::kInternal);
  EXPECT_NE(s.message().find("boom at 42"), std::string::npos) << s.message();
  EXPECT_EQ(ran.load(), 100) << "the other chunks still run";
}

TEST(WorkerPoolTest, ConcurrentJobsFromSeveralThreadsShareThePool) {
  WorkerPool pool(2);
  std::vector<std::thread> owners;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    owners.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        std::vector<int> v(300, 0);
        auto job = pool.Start(v.size(), 5, [&](size_t b, size_t e) {
          for (size_t i = b; i < e; ++i) v[i] = t + round + static_cast<int>(i);
        });
        if (!job->Finish().ok()) wrong.fetch_add(1);
        for (size_t i = 0; i < v.size(); ++i)
          if (v[i] != t + round + static_cast<int>(i)) wrong.fetch_add(1);
      }
    });
  }
  for (auto& o : owners) o.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(WorkerPoolTest, APoolDestroyedWithAJobStillOpenLeavesItToItsOwner) {
  std::shared_ptr<WorkerPool::Job> job;
  std::vector<int> v(1000, 0);
  {
    WorkerPool pool(1);
    job = pool.Start(v.size(), 1, [&](size_t b, size_t) { v[b] = 1; });
  }
  ASSERT_TRUE(job->Finish().ok());
  for (int x : v) ASSERT_EQ(x, 1);
}

TEST(WorkerPoolTest, DroppingAnUnfinishedJobStopsItBeforeItsLocalsGo) {
  WorkerPool pool(2);
  for (int round = 0; round < 50; ++round) {
    auto local = std::make_unique<std::vector<int>>(10000, 0);
    std::atomic<int> after_drop{0};
    std::atomic<bool> dropped{false};
    {
      auto job = pool.Start(local->size(), 1, [&](size_t b, size_t) {
        if (dropped.load()) after_drop.fetch_add(1);
        (*local)[b] = 1;
      });
      job->WaitFor(10);
    }
    dropped.store(true);
    local.reset();  // a chunk running now would touch freed memory under ASan
    EXPECT_EQ(after_drop.load(), 0);
  }
}

}  // namespace
}  // namespace dala
