// The accounts half of the Store interface (users, sessions, codes,
// devices, forms' retirement), against each store (store_test_util.h).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "store_test_util.h"

namespace dala::server {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNow = 1'700'000'000'000;

class StoreAccountsTest : public testing::StoreTest {
 protected:
  static sync::PublicKey Key(uint8_t fill) {
    sync::PublicKey k;
    k.fill(fill);
    return k;
  }

  Device MakeDevice(uint8_t fill, std::string volunteer = "vol") {
    Device d;
    d.key = Key(fill);
    d.volunteer = std::move(volunteer);
    d.label = "laptop " + std::to_string(fill);
    d.enrolled_ms = kNow;
    d.enrolled_by = "coord";
    return d;
  }
};

INSTANTIATE_TEST_SUITE_P(, StoreAccountsTest, testing::EachStore(), testing::StoreName);
using SqliteStoreAccountsTest = testing::SqliteOnly<StoreAccountsTest>;

TEST_F(SqliteStoreAccountsTest, OpeningWithoutCreateIsNotFoundForAMissingDirectory) {
  auto s = OpenSqliteStore((dir_ / "nope").string(), false);
  EXPECT_EQ(s.status().code(), Status::Code::kNotFound);
}

TEST_P(StoreAccountsTest, ProjectsAreAddedAndListed) {
  ASSERT_TRUE(store_->AddProject({"b", "Second", kNow}).ok());
  ASSERT_TRUE(store_->AddProject({"a", "First", kNow + 1}).ok());
  auto list = store_->ListProjects();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "a");
  EXPECT_EQ((*list)[0].title, "First");
  EXPECT_EQ((*list)[1].created_ms, kNow);
}

TEST_P(StoreAccountsTest, DuplicateProjectIsAlreadyExists) {
  ASSERT_TRUE(store_->AddProject({"a", "First", kNow}).ok());
  EXPECT_EQ(store_->AddProject({"a", "Again", kNow}).code(), Status::Code::kAlreadyExists);
}

TEST_P(StoreAccountsTest, UserIsAddedFoundByNameAndId) {
  auto u = store_->AddUser("alma", Role::kCoordinator, "hash", kNow);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_GT(u->id, 0);
  auto by_name = store_->FindUser("alma");
  ASSERT_TRUE(by_name.ok() && by_name->has_value());
  EXPECT_EQ((*by_name)->role, Role::kCoordinator);
  EXPECT_EQ((*by_name)->password_hash, "hash");
  EXPECT_EQ((*by_name)->created_ms, kNow);
  auto by_id = store_->FindUserById(u->id);
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ((*by_id)->name, "alma");
}

TEST_P(StoreAccountsTest, UnknownUserIsEmptyNotAnError) {
  auto by_name = store_->FindUser("ghost");
  ASSERT_TRUE(by_name.ok());
  EXPECT_FALSE(by_name->has_value());
  auto by_id = store_->FindUserById(999);
  ASSERT_TRUE(by_id.ok());
  EXPECT_FALSE(by_id->has_value());
}

TEST_P(StoreAccountsTest, DuplicateUserIsAlreadyExists) {
  ASSERT_TRUE(store_->AddUser("alma", Role::kAdmin, "h", kNow).ok());
  auto again = store_->AddUser("alma", Role::kVolunteer, "", kNow);
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
  auto list = store_->ListUsers();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].role, Role::kAdmin);  // the first is untouched
}

TEST_P(StoreAccountsTest, UsersAreListedByName) {
  ASSERT_TRUE(store_->AddUser("zed", Role::kVolunteer, "", kNow).ok());
  ASSERT_TRUE(store_->AddUser("amir", Role::kAuditor, "h", kNow).ok());
  auto list = store_->ListUsers();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "amir");
  EXPECT_EQ((*list)[0].role, Role::kAuditor);
  EXPECT_EQ((*list)[1].password_hash, "");
}

TEST_P(StoreAccountsTest, SetPasswordChangesTheHash) {
  ASSERT_TRUE(store_->AddUser("alma", Role::kAdmin, "old", kNow).ok());
  ASSERT_TRUE(store_->SetPassword("alma", "new").ok());
  EXPECT_EQ((*store_->FindUser("alma"))->password_hash, "new");
}

TEST_P(StoreAccountsTest, ReplacingAPasswordHashWritesOnlyOverTheHashItWasMadeFrom) {
  ASSERT_TRUE(store_->AddUser("alma", Role::kAdmin, "old", kNow).ok());
  ASSERT_TRUE(store_->AddUser("amir", Role::kAuditor, "old", kNow).ok());
  auto replaced = store_->ReplacePasswordHash("alma", "old", "rehashed");
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_TRUE(*replaced);
  EXPECT_EQ((*store_->FindUser("alma"))->password_hash, "rehashed");
  EXPECT_EQ((*store_->FindUser("amir"))->password_hash, "old") << "another user's hash changed";
  // An administrator's reset came between the check and the rehash: it stays.
  ASSERT_TRUE(store_->SetPassword("amir", "reset").ok());
  replaced = store_->ReplacePasswordHash("amir", "old", "rehashed");
  ASSERT_TRUE(replaced.ok());
  EXPECT_FALSE(*replaced);
  EXPECT_EQ((*store_->FindUser("amir"))->password_hash, "reset");
  replaced = store_->ReplacePasswordHash("ghost", "old", "rehashed");
  ASSERT_TRUE(replaced.ok());
  EXPECT_FALSE(*replaced);
}

TEST_P(StoreAccountsTest, SetPasswordOfUnknownUserIsNotFound) {
  EXPECT_EQ(store_->SetPassword("ghost", "x").code(), Status::Code::kNotFound);
}

TEST_P(StoreAccountsTest, SessionIsAddedFoundAndDeleted) {
  auto u = store_->AddUser("alma", Role::kAdmin, "h", kNow);
  ASSERT_TRUE(u.ok());
  Session s{std::string(64, 'a'), u->id, "csrf", kNow, kNow + 1000};
  ASSERT_TRUE(store_->AddSession(s).ok());
  auto found = store_->FindSession(std::string(64, 'a'));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->user_id, u->id);
  EXPECT_EQ((*found)->csrf_token, "csrf");
  EXPECT_EQ((*found)->expires_ms, kNow + 1000);
  ASSERT_TRUE(store_->DeleteSession(std::string(64, 'a')).ok());
  EXPECT_FALSE(store_->FindSession(std::string(64, 'a'))->has_value());
  EXPECT_TRUE(store_->DeleteSession(std::string(64, 'a')).ok());  // deleting twice is fine
}

TEST_P(StoreAccountsTest, ExpiredSessionsAreDeletedAndLiveOnesKept) {
  auto u = store_->AddUser("alma", Role::kAdmin, "h", kNow);
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE(store_->AddSession({"old", u->id, "c", kNow, kNow + 10}).ok());
  ASSERT_TRUE(store_->AddSession({"new", u->id, "c", kNow, kNow + 1000}).ok());
  ASSERT_TRUE(store_->DeleteExpiredSessions(kNow + 10).ok());
  EXPECT_FALSE(store_->FindSession("old")->has_value());
  EXPECT_TRUE(store_->FindSession("new")->has_value());
}

TEST_P(StoreAccountsTest, EnrollCodeIsConsumedOnce) {
  ASSERT_TRUE(store_->AddEnrollCode("hash1", "vol", kNow + 1000, "coord", kNow).ok());
  auto first = store_->ConsumeEnrollCode("hash1", kNow + 1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->volunteer, "vol");
  EXPECT_EQ(first->created_by, "coord");
  auto second = store_->ConsumeEnrollCode("hash1", kNow + 2);
  EXPECT_EQ(second.status().code(), Status::Code::kNotFound);
}

TEST_P(StoreAccountsTest, ExpiredEnrollCodeIsRefused) {
  ASSERT_TRUE(store_->AddEnrollCode("hash1", "vol", kNow + 1000, "coord", kNow).ok());
  auto late = store_->ConsumeEnrollCode("hash1", kNow + 1000);  // expiry is exclusive
  EXPECT_EQ(late.status().code(), Status::Code::kNotFound);
  // ...and stays unused: not consumed by the refused attempt.
  EXPECT_EQ(store_->ConsumeEnrollCode("hash1", kNow + 999).status().code(), Status::Code::kOk);
}

TEST_P(StoreAccountsTest, UnknownUsedAndExpiredCodesGiveTheSameMessage) {
  ASSERT_TRUE(store_->AddEnrollCode("used", "vol", kNow + 1000, "coord", kNow).ok());
  ASSERT_TRUE(store_->AddEnrollCode("expired", "vol", kNow + 10, "coord", kNow).ok());
  ASSERT_TRUE(store_->ConsumeEnrollCode("used", kNow).ok());
  auto unknown = store_->ConsumeEnrollCode("unknown", kNow + 20);
  auto used = store_->ConsumeEnrollCode("used", kNow + 20);
  auto expired = store_->ConsumeEnrollCode("expired", kNow + 20);
  EXPECT_EQ(unknown.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(unknown.status().message(), used.status().message());
  EXPECT_EQ(unknown.status().message(), expired.status().message());
}

TEST_P(StoreAccountsTest, DuplicateEnrollCodeHashIsAlreadyExists) {
  ASSERT_TRUE(store_->AddEnrollCode("h", "vol", kNow + 1000, "coord", kNow).ok());
  EXPECT_EQ(store_->AddEnrollCode("h", "other", kNow + 1000, "coord", kNow).code(), Status::Code::kAlreadyExists);
}

TEST_P(StoreAccountsTest, ConcurrentConsumersGetTheCodeOnce) {
  ASSERT_TRUE(store_->AddEnrollCode("race", "vol", kNow + 1000, "coord", kNow).ok());
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      if (store_->ConsumeEnrollCode("race", kNow + 1).ok()) ++winners;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

TEST_P(StoreAccountsTest, ConsumeThroughASecondConnectionSeesTheFirst) {
  ASSERT_TRUE(store_->AddEnrollCode("shared", "vol", kNow + 1000, "coord", kNow).ok());
  auto other = Open();  // as `dala-server` CLI beside a running server
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE((*other)->ConsumeEnrollCode("shared", kNow + 1).ok());
  EXPECT_EQ(store_->ConsumeEnrollCode("shared", kNow + 2).status().code(), Status::Code::kNotFound);
}

TEST_P(StoreAccountsTest, DeviceIsAddedAndFound) {
  ASSERT_TRUE(store_->AddDevice(MakeDevice(1)).ok());
  auto d = store_->FindDevice(Key(1));
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->key, Key(1));
  EXPECT_EQ((*d)->volunteer, "vol");
  EXPECT_EQ((*d)->label, "laptop 1");
  EXPECT_EQ((*d)->enrolled_by, "coord");
  EXPECT_EQ((*d)->revoked_ms, 0);
  EXPECT_FALSE(store_->FindDevice(Key(2))->has_value());
}

TEST_P(StoreAccountsTest, DuplicateDeviceKeyIsAlreadyExists) {
  ASSERT_TRUE(store_->AddDevice(MakeDevice(1, "vol")).ok());
  EXPECT_EQ(store_->AddDevice(MakeDevice(1, "someone_else")).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ((*store_->FindDevice(Key(1)))->volunteer, "vol");
}

TEST_P(StoreAccountsTest, RevokeSetsFieldsAndKeepsTheDeviceListed) {
  ASSERT_TRUE(store_->AddDevice(MakeDevice(1)).ok());
  ASSERT_TRUE(store_->AddDevice(MakeDevice(2)).ok());
  ASSERT_TRUE(store_->RevokeDevice(Key(1), "admin", "stolen", kNow + 5).ok());
  auto d = store_->FindDevice(Key(1));
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->revoked_ms, kNow + 5);
  EXPECT_EQ((*d)->revoked_by, "admin");
  EXPECT_EQ((*d)->revoke_reason, "stolen");
  auto list = store_->ListDevices();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*store_->FindDevice(Key(2)))->revoked_ms, 0);
}

TEST_P(StoreAccountsTest, RevokingTwiceKeepsTheFirstRevocation) {
  ASSERT_TRUE(store_->AddDevice(MakeDevice(1)).ok());
  ASSERT_TRUE(store_->RevokeDevice(Key(1), "admin", "stolen", kNow + 5).ok());
  EXPECT_EQ(store_->RevokeDevice(Key(1), "other", "again", kNow + 9).code(), Status::Code::kFailedPrecondition);
  auto d = store_->FindDevice(Key(1));
  EXPECT_EQ((*d)->revoked_by, "admin");
  EXPECT_EQ((*d)->revoked_ms, kNow + 5);
}

TEST_P(StoreAccountsTest, RevokingAnUnknownDeviceIsNotFound) {
  EXPECT_EQ(store_->RevokeDevice(Key(9), "admin", "x", kNow).code(), Status::Code::kNotFound);
}

TEST_P(StoreAccountsTest, AccountWritesJoinAFailedTransactionAndRollBack) {
  Status s = store_->InTransaction([&] {
    DALA_RETURN_IF_ERROR(store_->AddUser("alma", Role::kAdmin, "h", kNow).status());
    DALA_RETURN_IF_ERROR(store_->AddDevice(MakeDevice(1)));
    return Status::Internal("abort");
  });
  EXPECT_EQ(s.code(), Status::Code::kInternal);
  EXPECT_FALSE(store_->FindUser("alma")->has_value());
  EXPECT_FALSE(store_->FindDevice(Key(1))->has_value());
}

TEST_P(StoreAccountsTest, TextIsStoredByteForByte) {
  Device d = MakeDevice(3, "vol");
  d.label = "Ноутбук «Айгерим» 'x'; DROP TABLE devices; --";
  ASSERT_TRUE(store_->AddDevice(d).ok());
  EXPECT_EQ((*store_->FindDevice(Key(3)))->label, d.label);
  ASSERT_TRUE(store_->ListDevices().ok());
}

TEST_P(StoreAccountsTest, LongReadDoesNotHoldOffWritersAndSeesOneMomentOnly) {
  ASSERT_TRUE(store_->AddProject({"before", "Before", kNow}).ok());
  auto before = store_->ListProjects();
  ASSERT_TRUE(before.ok());
  size_t seen_inside = 0, seen_inside_after_write = 0;
  Status s = store_->InReadSnapshot([&](Store& snapshot) -> Status {
    DALA_ASSIGN_OR_RETURN(auto projects, snapshot.ListProjects());
    seen_inside = projects.size();
    // A writer commits while the read is open, from another thread as a
    // sync would; it must not wait for the read to end.
    Status written;
    std::thread writer([&] { written = store_->AddProject({"during", "During", kNow}); });
    writer.join();
    DALA_RETURN_IF_ERROR(written);
    DALA_ASSIGN_OR_RETURN(projects, snapshot.ListProjects());
    seen_inside_after_write = projects.size();
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen_inside, before->size());
  EXPECT_EQ(seen_inside_after_write, seen_inside);
  auto after = store_->ListProjects();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), seen_inside + 1);
}

TEST_F(SqliteStoreAccountsTest, SnapshotOfAStoreWhoseFileVanishedFailsCleanly) {
  fs::remove_all(dir_);
  Status s = store_->InReadSnapshot([](Store&) { return Status::Ok(); });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
}

// --- administration ---------------------------------------------------------------

TEST_P(StoreAccountsTest, DeletingOneUsersSessionsLeavesOthersAlone) {
  auto a = store_->AddUser("a", Role::kCoordinator, "h", kNow);
  auto b = store_->AddUser("b", Role::kCoordinator, "h", kNow);
  ASSERT_TRUE(a.ok() && b.ok());
  for (const char* t : {"t1", "t2"}) ASSERT_TRUE(store_->AddSession({t, a->id, "c", kNow, kNow + 1000}).ok());
  ASSERT_TRUE(store_->AddSession({"t3", b->id, "c", kNow, kNow + 1000}).ok());
  ASSERT_TRUE(store_->DeleteSessionsOf(a->id).ok());
  EXPECT_FALSE(store_->FindSession("t1")->has_value());
  EXPECT_FALSE(store_->FindSession("t2")->has_value());
  EXPECT_TRUE(store_->FindSession("t3")->has_value());
}

TEST_P(StoreAccountsTest, LastSyncIsWrittenAtMostOnceAMinuteAndNeverMovesBack) {
  ASSERT_TRUE(store_->AddDevice(MakeDevice(1)).ok());
  ASSERT_TRUE(store_->NoteDeviceSync(Key(1), kNow + 5000).ok());
  ASSERT_TRUE(store_->NoteDeviceSync(Key(1), kNow + 1000).ok());
  EXPECT_EQ((*store_->FindDevice(Key(1)))->last_sync_ms, kNow + 5000);
  ASSERT_TRUE(store_->NoteDeviceSync(Key(1), kNow + 30000).ok());
  EXPECT_EQ((*store_->FindDevice(Key(1)))->last_sync_ms, kNow + 5000) << "written again within the minute";
  ASSERT_TRUE(store_->NoteDeviceSync(Key(1), kNow + 70000).ok());
  EXPECT_EQ((*store_->ListDevices())[0].last_sync_ms, kNow + 70000);
  EXPECT_TRUE(store_->NoteDeviceSync(Key(9), kNow).ok()) << "an unknown key is nothing to record";
}

class StoreFormsTest : public StoreAccountsTest {
 protected:
  FormInfo Publish(const std::string& version) {
    FormInfo info;
    info.hash = std::string(63, 'a') + version;
    info.form_id = "psc_observation";
    info.version = version;
    info.project = "default";
    info.published_ms = kNow;
    auto out = store_->PublishForm("{\"v\":" + version + "}", info);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : info;
  }
};

INSTANTIATE_TEST_SUITE_P(, StoreFormsTest, testing::EachStore(), testing::StoreName);

TEST_P(StoreFormsTest, ARetiredFormStaysListedButIsNoLongerSentToLaptops) {
  FormInfo one = Publish("1");
  FormInfo two = Publish("2");
  ASSERT_TRUE(store_->RetireForm(one.hash, "ada", kNow + 1).ok());
  auto listed = store_->ListForms();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].retired_ms, kNow + 1);
  EXPECT_EQ((*listed)[0].retired_by, "ada");
  EXPECT_EQ((*listed)[1].retired_ms, 0);
  auto sent = store_->FormsPublishedAfter(0, 10);
  ASSERT_EQ(sent->size(), 1u);
  EXPECT_EQ((*sent)[0].first.hash, two.hash);
  EXPECT_EQ((*sent)[0].second, "{\"v\":2}");
  EXPECT_TRUE(store_->FormDocument(one.hash)->has_value()) << "its records still need the document";
  EXPECT_EQ((*store_->FindFormInfo(one.hash))->retired_by, "ada");
}

TEST_P(StoreFormsTest, RetiringTwiceKeepsTheFirstAndAnUnknownHashIsNotFound) {
  FormInfo one = Publish("1");
  ASSERT_TRUE(store_->RetireForm(one.hash, "ada", kNow + 1).ok());
  Status again = store_->RetireForm(one.hash, "bob", kNow + 2);
  EXPECT_EQ(again.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(again.message().find("ada"), std::string::npos) << again.message();
  EXPECT_EQ((*store_->FindFormInfo(one.hash))->retired_ms, kNow + 1);
  EXPECT_EQ(store_->RetireForm(std::string(64, 'f'), "ada", kNow).code(), Status::Code::kNotFound);
  EXPECT_FALSE(store_->FindFormInfo(std::string(64, 'f'))->has_value());
}

TEST_P(StoreFormsTest, PublishingARetiredVersionAgainIsRefusedAndKeepsItRetired) {
  FormInfo one = Publish("1");
  ASSERT_TRUE(store_->RetireForm(one.hash, "ada", kNow + 1).ok());
  auto again = store_->PublishForm("{\"v\":1}", one);
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("new version"), std::string::npos) << again.status().message();
  EXPECT_TRUE(store_->FormsPublishedAfter(0, 10)->empty());
}

}  // namespace
}  // namespace dala::server
