#include "model/container_meta_net.h"

#include <fmt/format.h>

namespace ckptfs {

namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

void add(std::string& list, const std::string& v) {
  if (v.empty()) return;
  if (!list.empty()) list += ", ";
  list += v;
}

// "10.88.0.9/16" -> "10.88.0.9", as checkpointctl lists addresses.
std::string address(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

// { "<network>": { "interfaces": { "<if>": { "subnets": [ {ipnet, gateway} ],
//   "mac_address": … } } } }, networks and interfaces in name order.
void read_networks(const json& status, ContainerInfo& info) {
  for (const auto& [network, result] : status.items()) {
    if (!result.is_object() || !result.contains("interfaces") || !result["interfaces"].is_object())
      continue;
    for (const auto& [ifname, iface] : result["interfaces"].items()) {
      NetworkInterface n;
      n.network = network;
      n.name = ifname;
      n.mac = str(iface, "mac_address");
      add(info.mac, n.mac);
      if (iface.is_object() && iface.contains("subnets") && iface["subnets"].is_array())
        for (const auto& subnet : iface["subnets"]) {
          std::string ipnet = str(subnet, "ipnet");
          if (!ipnet.empty()) {
            n.ip = ipnet;
            add(info.ip, address(ipnet));
          }
          if (!str(subnet, "gateway").empty()) n.gateway = str(subnet, "gateway");
        }
      info.networks.push_back(std::move(n));
    }
  }
}

// [ { "cniVersion", "interfaces": [ {name, mac, sandbox} ], "ips": [ {address,
//   gateway, interface: <index>} ] } ]: the addresses name their interface.
void read_cni_results(const json& status, ContainerInfo& info) {
  for (size_t r = 0; r < status.size(); ++r) {
    const json& result = status[r];
    if (!result.is_object()) continue;
    const json ifaces = result.value("interfaces", json::array());
    const json ips = result.value("ips", json::array());
    if (!ips.is_array()) continue;
    for (const auto& ip : ips) {
      NetworkInterface n;
      n.network = fmt::format("cni[{}]", r);
      n.ip = str(ip, "address");
      n.gateway = str(ip, "gateway");
      if (ip.is_object() && ip.contains("interface") && ip["interface"].is_number_unsigned() &&
          ifaces.is_array() && ip["interface"].get<uint64_t>() < ifaces.size()) {
        const json& iface = ifaces[ip["interface"].get<size_t>()];
        n.name = str(iface, "name");
        n.mac = str(iface, "mac");
      }
      add(info.ip, address(n.ip));
      add(info.mac, n.mac);
      info.networks.push_back(std::move(n));
    }
  }
}

}  // namespace

void read_network_status(const json& status, ContainerInfo& info) {
  if (status.is_object())
    read_networks(status, info);
  else if (status.is_array())
    read_cni_results(status, info);
}

void read_crio_ips(const std::map<std::string, std::string>& annotations, ContainerInfo& info) {
  for (int i = 0;; ++i) {
    auto it = annotations.find(fmt::format("io.kubernetes.cri-o.IP.{}", i));
    if (it == annotations.end()) break;
    add(info.ip, it->second);
  }
}

}  // namespace ckptfs
