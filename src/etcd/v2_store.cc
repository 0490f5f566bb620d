#include "etcdsnap/etcd/v2_store.h"

#include <map>

namespace etcdsnap::etcd {
namespace {

// A v2 store node (v2store.node); Children is null for a leaf, a map for a directory.
struct Node {
  std::string path;
  uint64_t created = 0, modified = 0;
  std::string value;
  bool dir = false;
  std::map<std::string, Node> children;  // std::map: sorted keys, as Go encodes maps
};

// Time.MarshalJSON of the zero time: v2store.Permanent.
constexpr char kPermanent[] = "\"0001-01-01T00:00:00Z\"";

// Go's json.Marshal of one node (field order Path, CreatedIndex, ModifiedIndex, ExpireTime,
// Value, Children).
void AppendNode(std::string* out, const Node& n) {
  *out += "{\"Path\":";
  AppendGoJsonString(out, n.path);
  *out += ",\"CreatedIndex\":" + std::to_string(n.created) +
          ",\"ModifiedIndex\":" + std::to_string(n.modified) + ",\"ExpireTime\":" + kPermanent +
          ",\"Value\":";
  AppendGoJsonString(out, n.value);
  *out += ",\"Children\":";
  if (!n.dir) {
    *out += "null";
  } else {
    out->push_back('{');
    bool first = true;
    for (const auto& [name, child] : n.children) {
      if (!first) out->push_back(',');
      first = false;
      AppendGoJsonString(out, name);
      out->push_back(':');
      AppendNode(out, child);
    }
    out->push_back('}');
  }
  out->push_back('}');
}

Node Dir(const std::string& path, uint64_t index) {
  Node n;
  n.path = path;
  n.created = n.modified = index;
  n.dir = true;
  return n;
}

}  // namespace

std::string MembershipV2StoreJson(const std::vector<Member>& members) {
  // newStore(StoreClusterPrefix "/0", StoreKeysPrefix "/1"): both namespaces at index 0.
  Node root = Dir("/", 0);
  root.children["0"] = Dir("/0", 0);
  root.children["1"] = Dir("/1", 0);
  Node& cluster = root.children["0"];

  struct Event {
    std::string key, value;
    uint64_t index;
  };
  constexpr size_t kCapacity = 1000;  // newWatchHub(1000)
  std::vector<const Event*> queue(kCapacity, nullptr);
  std::vector<Event> events;
  events.reserve(members.size());
  size_t size = 0, front = 0, back = 0;
  uint64_t index = 0;
  for (const Member& m : members) {
    ++index;
    // store.Create makes the missing parent directories at the index of the create.
    if (!cluster.children.count("members")) cluster.children["members"] = Dir("/0/members", index);
    const std::string id = IdString(m.id);
    const std::string dir_path = "/0/members/" + id;
    Node& dir = cluster.children["members"].children[id] = Dir(dir_path, index);
    Node leaf;
    leaf.path = dir_path + "/raftAttributes";
    leaf.created = leaf.modified = index;
    leaf.value = RaftAttributesJson(m);
    dir.children["raftAttributes"] = leaf;
    events.push_back(Event{leaf.path, leaf.value, index});
    // eventQueue.insert: a ring that drops its oldest event when full.
    queue[back] = &events.back();
    back = (back + 1) % kCapacity;
    if (size == kCapacity) {
      front = (front + 1) % kCapacity;
    } else {
      ++size;
    }
  }

  std::string out = "{\"Root\":";
  AppendNode(&out, root);
  out += ",\"WatcherHub\":{\"EventHistory\":{\"Queue\":{\"Events\":[";
  for (size_t i = 0; i < kCapacity; ++i) {
    if (i) out.push_back(',');
    const Event* e = queue[i];
    if (!e) {
      out += "null";
      continue;
    }
    out += "{\"action\":\"create\",\"node\":{\"key\":";
    AppendGoJsonString(&out, e->key);
    out += ",\"value\":";
    AppendGoJsonString(&out, e->value);
    out += ",\"modifiedIndex\":" + std::to_string(e->index) +
           ",\"createdIndex\":" + std::to_string(e->index) + "}}";
  }
  const uint64_t start_index = queue[front] ? queue[front]->index : 0;
  out += "],\"Size\":" + std::to_string(size) + ",\"Front\":" + std::to_string(front) +
         ",\"Back\":" + std::to_string(back) + ",\"Capacity\":" + std::to_string(kCapacity) +
         "},\"StartIndex\":" + std::to_string(start_index) +
         ",\"LastIndex\":" + std::to_string(index) + "}}";
  out += ",\"CurrentIndex\":" + std::to_string(index);
  out +=
      ",\"Stats\":{\"getsSuccess\":0,\"getsFail\":0,\"setsSuccess\":0,\"setsFail\":0,"
      "\"deleteSuccess\":0,\"deleteFail\":0,\"updateSuccess\":0,\"updateFail\":0,"
      "\"createSuccess\":" +
      std::to_string(index) +
      ",\"createFail\":0,\"compareAndSwapSuccess\":0,\"compareAndSwapFail\":0,"
      "\"compareAndDeleteSuccess\":0,\"compareAndDeleteFail\":0,\"expireCount\":0,"
      "\"watchers\":0}";
  out += ",\"CurrentVersion\":2}";
  return out;
}

}  // namespace etcdsnap::etcd
