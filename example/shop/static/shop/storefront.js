/*
 * The demo shop's page: plain JavaScript over the shop's JSON API (README, "The example
 * shop"). One click-through (sign in, browse, add to the cart, check out) is one flowscope
 * workflow of type "checkout": it starts when the customer signs in (or does the next thing
 * after a finished checkout) and is completed when the checkout has answered. Every fetch
 * in between carries the workflow's correlation ID, added by the flowscope SDK. After a
 * declined checkout, the SDK continues the same workflow for the retry.
 *
 * Everything the API returns is put on the page as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const API_ROOT = (script && script.dataset.apiRoot) || "/api/v1/";
  const PAGE_SIZE = 12;
  const WORKFLOW_TYPE = "checkout";

  const FIELD_LABELS = {
    username: "Username",
    password: "Password",
    search: "Search",
    product_id: "Product",
    quantity: "Quantity",
    shipping_address: "Shipping address",
    payment: "Payment",
    "payment.card_number": "Card number",
    "payment.expiry": "Expiry",
    "payment.cvv": "CVV",
  };
  // Checkout fields the API names in `errors`, and the inputs they belong to.
  const CHECKOUT_INPUTS = {
    shipping_address: "shipping-address",
    "payment.card_number": "card-number",
    "payment.expiry": "card-expiry",
    "payment.cvv": "card-cvv",
  };

  const state = {
    token: null,
    user: null,
    page: 1,
    search: "",
    cart: { items: [], item_count: 0, total: "0.00" },
    workflow: null,
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "className") {
        node.className = value;
      } else if (value !== undefined && value !== null && value !== false) {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    }
    for (const child of children) {
      if (child !== undefined && child !== null && child !== false) {
        node.append(child instanceof Node ? child : String(child));
      }
    }
    return node;
  }

  function money(amount) {
    return `$${amount}`;
  }

  // ------------------------------------------------------------------ the workflow

  function sdk() {
    return window.Flowscope || null;
  }

  function showWorkflow(label) {
    $("workflow-status").textContent = label;
    $("correlation-id").textContent = state.workflow ? state.workflow.correlationId : "none yet";
  }

  /** The active checkout workflow; a new one if the last one is over. */
  function ensureWorkflow() {
    const flowscope = sdk();
    if (!flowscope) {
      showWorkflow("not traced (the flowscope SDK did not load)");
      return null;
    }
    const current = flowscope.currentWorkflow();
    if (current) {
      return current;
    }
    state.workflow = flowscope.startWorkflow(WORKFLOW_TYPE);
    // After a failed checkout the SDK continues that workflow: the retry is part of it.
    const attempt = state.workflow.attempt || 1;
    showWorkflow(attempt > 1 ? `in progress: attempt ${attempt}` : "in progress");
    return state.workflow;
  }

  /** The checkout has answered: the workflow is over, whatever the answer was. */
  function finishWorkflow(placed) {
    const workflow = state.workflow;
    if (workflow && workflow.isActive()) {
      workflow.complete({ outcome: placed ? "order_placed" : "checkout_failed" });
    }
    showWorkflow(placed ? "finished: order placed" : "finished: checkout failed");
  }

  // ------------------------------------------------------------------ the API

  class ApiError extends Error {
    constructor(status, data) {
      super(describe(status, data));
      this.name = "ApiError";
      this.status = status;
      this.data = data && typeof data === "object" ? data : {};
    }
  }

  function describe(status, data) {
    if (status === 0) {
      return "The shop could not be reached. Check your connection and try again.";
    }
    if (data && typeof data.detail === "string" && data.detail) {
      return data.detail;
    }
    return `The shop answered with an error (HTTP ${status}).`;
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    // The API authenticates with the token alone: no cookies, so no CSRF questions either.
    const init = { method, headers, credentials: "omit" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (state.token) {
      headers.Authorization = `Token ${state.token}`;
    }
    let response;
    try {
      response = await fetch(API_ROOT + path, init);
    } catch (error) {
      throw new ApiError(0, null);
    }
    let data = null;
    if (response.status !== 204 && (response.headers.get("Content-Type") || "").includes("json")) {
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
    }
    if (!response.ok) {
      if (response.status === 401 && state.token) {
        signedOut("Your session has ended. Please sign in again.");
      }
      throw new ApiError(response.status, data);
    }
    return data;
  }

  /** `errors` of an answer as [{field, message}], nested fields as "payment.cvv". */
  function fieldErrors(data) {
    const found = [];
    function walk(value, path) {
      if (Array.isArray(value)) {
        for (const item of value) {
          walk(item, path);
        }
      } else if (value && typeof value === "object") {
        for (const [key, item] of Object.entries(value)) {
          walk(item, key === "non_field_errors" ? path : [...path, key]);
        }
      } else if (value !== undefined && value !== null) {
        found.push({ field: path.join("."), message: String(value) });
      }
    }
    walk(data && data.errors, []);
    return found;
  }

  function productName(productId) {
    const line = state.cart.items.find((item) => item.product.id === productId);
    return line ? line.product.name : `Product ${productId}`;
  }

  /** Put an API error (its `detail`, then every field error) into an alert element. */
  function showError(target, error) {
    const list = el("ul");
    for (const { field, message } of fieldErrors(error.data)) {
      list.append(el("li", {}, field ? `${FIELD_LABELS[field] || field}: ${message}` : message));
    }
    for (const item of Array.isArray(error.data.items) ? error.data.items : []) {
      list.append(
        el("li", {}, `${productName(item.product_id)}: ${item.requested} wanted, ${item.available} left`)
      );
    }
    target.replaceChildren(el("p", {}, error.message || describe(0, null)));
    if (list.children.length) {
      target.append(list);
    }
    target.hidden = false;
  }

  function clearMessage(target) {
    target.replaceChildren();
    target.hidden = true;
  }

  function setBusy(button, busy, label) {
    if (busy) {
      button.dataset.label = button.textContent;
      button.textContent = label;
    } else if (button.dataset.label) {
      button.textContent = button.dataset.label;
    }
    button.disabled = busy;
    button.closest("form, section")?.setAttribute("aria-busy", String(busy));
  }

  // ------------------------------------------------------------------ signing in and out

  async function onLogin(event) {
    event.preventDefault();
    const button = $("login-button");
    clearMessage($("login-error"));
    ensureWorkflow();
    setBusy(button, true, "Signing in…");
    try {
      const data = await api("POST", "auth/login/", {
        username: $("login-username").value.trim(),
        password: $("login-password").value,
      });
      state.token = data.token;
      state.user = data.user;
      $("login-password").value = "";
      signedIn();
      await Promise.all([loadProducts(1), loadCart()]);
    } catch (error) {
      showError($("login-error"), error);
    } finally {
      setBusy(button, false);
    }
  }

  function signedIn() {
    $("session-user").textContent = state.user.username;
    $("session").hidden = false;
    $("login-section").hidden = true;
    $("shop").hidden = false;
    $("search-input").focus();
  }

  function signedOut(message) {
    state.token = null;
    state.user = null;
    sdk()?.endWorkflow();
    showWorkflow("ended");
    $("session").hidden = true;
    $("shop").hidden = true;
    $("login-section").hidden = false;
    $("product-list").replaceChildren();
    renderCart({ items: [], item_count: 0, total: "0.00" });
    if (message) {
      showError($("login-error"), new ApiError(401, { detail: message }));
    }
    $("login-username").focus();
  }

  async function onLogout() {
    try {
      await api("POST", "auth/logout/");
    } catch (error) {
      // The token is forgotten here either way.
    }
    signedOut("");
  }

  // ------------------------------------------------------------------ products

  async function loadProducts(page) {
    ensureWorkflow();
    const params = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
    if (state.search) {
      params.set("search", state.search);
    }
    clearMessage($("catalogue-error"));
    $("catalogue-status").textContent = "Loading products…";
    try {
      const data = await api("GET", `products/?${params}`);
      state.page = page;
      renderProducts(data);
    } catch (error) {
      $("catalogue-status").textContent = "";
      showError($("catalogue-error"), error);
    }
  }

  function renderProducts(data) {
    const pages = Math.max(1, Math.ceil(data.count / PAGE_SIZE));
    const matching = state.search ? ` matching “${state.search}”` : "";
    $("catalogue-status").textContent = data.count
      ? `${data.count} product${data.count === 1 ? "" : "s"}${matching}.`
      : `No products${matching}.`;
    $("product-list").replaceChildren(...data.results.map(productCard));
    $("page-info").textContent = data.count ? `Page ${state.page} of ${pages}` : "";
    $("page-prev").disabled = !data.previous;
    $("page-next").disabled = !data.next;
  }

  function productCard(product) {
    const description = product.description || "";
    const inStock = product.stock > 0;
    return el(
      "li",
      { className: "product", "data-testid": "product", "data-product-id": product.id },
      el("h3", {}, product.name),
      el("p", { className: "category" }, product.category ? product.category.name : ""),
      description &&
        el(
          "p",
          { className: "description" },
          description.length > 140 ? `${description.slice(0, 139)}…` : description
        ),
      el(
        "p",
        { className: "buy" },
        el("span", { className: "price" }, money(product.price)),
        el("span", { className: "stock" }, inStock ? `${product.stock} in stock` : "Out of stock")
      ),
      el(
        "button",
        {
          type: "button",
          className: "add",
          "data-testid": "add-to-cart",
          "data-product-id": product.id,
          "aria-label": `Add ${product.name} to cart`,
          disabled: !inStock,
        },
        "Add to cart"
      )
    );
  }

  function onSearch(event) {
    event.preventDefault();
    state.search = $("search-input").value.trim();
    loadProducts(1);
  }

  // ------------------------------------------------------------------ the cart

  async function loadCart() {
    ensureWorkflow();
    try {
      renderCart(await api("GET", "cart/"));
    } catch (error) {
      showError($("cart-error"), error);
    }
  }

  async function changeCart(button, method, path, body) {
    ensureWorkflow();
    clearMessage($("cart-error"));
    button.disabled = true;
    try {
      const cart = await api(method, path, body);
      if (cart) {
        renderCart(cart);
      } else {
        await loadCart(); // DELETE answers 204 without the cart
      }
    } catch (error) {
      showError($("cart-error"), error);
    } finally {
      if (button.isConnected) {
        button.disabled = false;
      }
    }
  }

  function renderCart(cart) {
    state.cart = cart;
    $("cart-empty").hidden = cart.items.length > 0;
    $("cart-items").replaceChildren(...cart.items.map(cartLine));
    $("cart-total").textContent = money(cart.total);
    $("checkout-button").disabled = cart.items.length === 0;
  }

  function cartLine(item) {
    const name = item.product.name;
    return el(
      "li",
      { className: "cart-line", "data-testid": "cart-line", "data-item-id": item.id },
      el("span", { className: "name" }, name),
      el(
        "span",
        { className: "quantity" },
        el(
          "button",
          {
            type: "button",
            "data-action": "decrease",
            "data-item-id": item.id,
            "data-quantity": item.quantity,
            "aria-label": `One fewer ${name}`,
          },
          "−"
        ),
        el("span", { "data-testid": "cart-line-quantity", "aria-label": "Quantity" }, item.quantity),
        el(
          "button",
          {
            type: "button",
            "data-action": "increase",
            "data-item-id": item.id,
            "data-quantity": item.quantity,
            "aria-label": `One more ${name}`,
          },
          "+"
        )
      ),
      el("span", { className: "subtotal" }, money(item.subtotal)),
      el(
        "button",
        {
          type: "button",
          className: "remove",
          "data-action": "remove",
          "data-item-id": item.id,
          "aria-label": `Remove ${name} from the cart`,
        },
        "Remove"
      )
    );
  }

  function onProductClick(event) {
    const button = event.target.closest("button[data-testid='add-to-cart']");
    if (button && !button.disabled) {
      const productId = Number(button.dataset.productId);
      changeCart(button, "POST", "cart/items/", { product_id: productId, quantity: 1 });
    }
  }

  function onCartClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || button.disabled) {
      return;
    }
    const path = `cart/items/${Number(button.dataset.itemId)}/`;
    const quantity = Number(button.dataset.quantity);
    if (button.dataset.action === "increase") {
      changeCart(button, "PATCH", path, { quantity: quantity + 1 });
    } else if (button.dataset.action === "decrease" && quantity > 1) {
      changeCart(button, "PATCH", path, { quantity: quantity - 1 });
    } else {
      changeCart(button, "DELETE", path);
    }
  }

  // ------------------------------------------------------------------ checkout

  function clearCheckoutErrors() {
    clearMessage($("checkout-error"));
    clearMessage($("checkout-success"));
    for (const id of Object.values(CHECKOUT_INPUTS)) {
      $(id).removeAttribute("aria-invalid");
      clearMessage($(`${id}-error`));
    }
  }

  function showCheckoutError(error) {
    showError($("checkout-error"), error);
    let first = null;
    for (const { field, message } of fieldErrors(error.data)) {
      const id = CHECKOUT_INPUTS[field];
      if (id) {
        $(id).setAttribute("aria-invalid", "true");
        const note = $(`${id}-error`);
        note.textContent = note.textContent ? `${note.textContent} ${message}` : message;
        note.hidden = false;
        first = first || $(id);
      }
    }
    first?.focus();
  }

  function showOrder(order) {
    const count = order.items.reduce((sum, item) => sum + item.quantity, 0);
    const target = $("checkout-success");
    target.replaceChildren(
      el("p", {}, el("strong", {}, `Thank you! Order #${order.id} is placed.`)),
      el(
        "p",
        {},
        `${count} item${count === 1 ? "" : "s"}, ${money(order.total)}, paid with the card ` +
          `ending ${order.card_last4} (reference ${order.payment_reference}).`
      )
    );
    target.hidden = false;
  }

  async function onCheckout(event) {
    event.preventDefault();
    const button = $("checkout-button");
    clearCheckoutErrors();
    const body = {
      shipping_address: $("shipping-address").value.trim(),
      payment: {
        card_number: $("card-number").value.trim(),
        expiry: $("card-expiry").value.trim(),
        cvv: $("card-cvv").value.trim(),
      },
    };
    ensureWorkflow();
    setBusy(button, true, "Placing order…");
    let placed = false;
    try {
      const order = await api("POST", "orders/checkout/", body);
      placed = true;
      finishWorkflow(true);
      showOrder(order);
      for (const id of ["card-number", "card-expiry", "card-cvv"]) {
        $(id).value = ""; // no card details left on the screen
      }
      renderCart({ items: [], item_count: 0, total: "0.00" }); // the order took them all
    } catch (error) {
      if (error.status !== 0) {
        finishWorkflow(false); // the server answered: this checkout is over
      }
      showCheckoutError(error);
    } finally {
      setBusy(button, false);
      button.disabled = placed || state.cart.items.length === 0;
    }
  }

  // ------------------------------------------------------------------ start

  function start() {
    $("login-form").addEventListener("submit", onLogin);
    $("logout-button").addEventListener("click", onLogout);
    $("search-form").addEventListener("submit", onSearch);
    $("page-prev").addEventListener("click", () => loadProducts(state.page - 1));
    $("page-next").addEventListener("click", () => loadProducts(state.page + 1));
    $("product-list").addEventListener("click", onProductClick);
    $("cart-items").addEventListener("click", onCartClick);
    $("checkout-form").addEventListener("submit", onCheckout);
    renderCart(state.cart);
    if (!sdk()) {
      showWorkflow("not traced (the flowscope SDK did not load)");
    }
  }

  start();
})();
