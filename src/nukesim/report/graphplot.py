"""The command graph drawn with networkx and matplotlib (no Graphviz program needed).

Organisations are placed in layers by how many links separate them from the accident site; the
fastest expected chain to the call-out (``graph.analyse``) is drawn thick and blue, and the single
points of failure of the call-out are drawn red: organisations with a red border, links dashed red.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx
from matplotlib.lines import Line2D

from ..graph import analyse, build_graph
from ..scenario.durations import format_duration
from ..scenario.models import Scenario
from .svg import plt, to_svg

CHAIN = "#1f77b4"
SPOF = "#d62728"


def command_graph(scenario: Scenario) -> tuple[str, str]:
    """The drawing as inline SVG and its text alternative."""
    graph = build_graph(scenario)
    analysis = analyse(scenario)
    site, team = scenario.accident.site, scenario.team.organisation
    depth = nx.single_source_shortest_path_length(graph, site)
    last = max(depth.values(), default=0) + 1
    for node in graph.nodes:
        graph.nodes[node]["layer"] = depth.get(node, last)
    pos = nx.multipartite_layout(graph, subset_key="layer", scale=1.0)

    chain_edges = {(st.sender, st.organisation) for st in analysis.chain if st.sender is not None}
    chain_nodes = {st.organisation for st in analysis.chain}
    sp = analysis.single_points
    spof_nodes = set(sp.organisations)
    spof_edges = set(sp.links)

    layers = len(set(nx.get_node_attributes(graph, "layer").values()))
    widest = max(Counter(nx.get_node_attributes(graph, "layer").values()).values())
    fig, ax = plt.subplots(figsize=(max(7.5, 2.2 * layers), min(4.8, 1.3 * widest + 1.8)))
    plain = [e for e in graph.edges if e not in chain_edges]
    chain = [e for e in graph.edges if e in chain_edges]
    style = {"ax": ax, "arrows": True, "arrowsize": 12, "node_size": 3200, "node_shape": "s",
             "connectionstyle": "arc3,rad=0.12"}
    nx.draw_networkx_edges(graph, pos, edgelist=plain, edge_color="#999999", width=1.0, **style)
    nx.draw_networkx_edges(graph, pos, edgelist=chain, edge_color=CHAIN, width=3.5, **style)
    spof = [e for e in graph.edges if e in spof_edges]
    if spof:  # drawn over the chain: a link can be both
        nx.draw_networkx_edges(graph, pos, edgelist=spof, edge_color=SPOF, width=1.4, style="--", **style)
    nodes = list(graph.nodes)
    nx.draw_networkx_nodes(graph, pos, nodelist=nodes, ax=ax, node_size=3200, node_shape="s",
                           node_color=["#dbe9f6" if n in chain_nodes else "#f2f2f2" for n in nodes],
                           edgecolors=[SPOF if n in spof_nodes else "#444444" for n in nodes],
                           linewidths=[3 if n in spof_nodes else 1 for n in nodes])
    labels = {}
    for n in nodes:
        when = analysis.notified.get(n)
        extra = " (site)" if n == site else " (team)" if n == team else ""
        labels[n] = f"{n}{extra}\n" + ("never" if when is None else f"~{format_duration(when)}")
    nx.draw_networkx_labels(graph, pos, labels=labels, ax=ax, font_size=6.5)
    edge_labels = {(u, v): d["channel"] for u, v, d in graph.edges(data=True)}
    nx.draw_networkx_edge_labels(graph, pos, edge_labels=edge_labels, ax=ax, font_size=6,
                                 connectionstyle="arc3,rad=0.12", bbox={"alpha": 0.0})
    ax.legend(handles=[
        Line2D([], [], color=CHAIN, lw=3, label="fastest expected chain to the call-out"),
        Line2D([], [], color=SPOF, lw=1.4, ls="--", label="single point of failure (link)"),
        Line2D([], [], marker="s", ls="", markerfacecolor="white", markeredgecolor=SPOF, markeredgewidth=2,
               markersize=10, label="single point of failure (organisation)"),
    ], fontsize=7, loc="lower center", bbox_to_anchor=(0.5, -0.18), ncol=3, frameon=False)
    ax.set_axis_off()
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    for low, high, setter in ((min(xs), max(xs), ax.set_xlim), (min(ys), max(ys), ax.set_ylim)):
        pad = 0.15 * (high - low) + 0.25  # room for the boxes round the outermost nodes
        setter(low - pad, high + pad)
    callout = "never" if analysis.callout is None else format_duration(analysis.callout)
    ax.set_title(f"Command graph of '{scenario.name}'\nunder each name: expected first notification "
                 f"(means, a deterministic estimate); call-out expected at {callout}", fontsize=9)
    chain_text = " → ".join(st.organisation for st in analysis.chain) or "none"
    alt = (f"{graph.number_of_nodes()} organisations and {graph.number_of_edges()} links; the accident "
           f"is at {site}, the team organisation is {team}. Fastest expected chain: {chain_text}; "
           f"call-out expected at {callout}. Single points of failure: organisations "
           f"{', '.join(sorted(spof_nodes)) or 'none'}; links "
           f"{', '.join(f'{u} -> {v}' for u, v in sp.links) or 'none'}; "
           f"channels {', '.join(sp.channels) or 'none'}.")
    return to_svg(fig, "Command graph", alt), alt


def command_graph_svg(scenario: Scenario) -> str:
    """``nukesim graph FILE --format svg``: the drawing alone, a standalone SVG document."""
    return command_graph(scenario)[0] + "\n"
